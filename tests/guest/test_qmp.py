"""QMP on a real guest, with a real client (a Unix socket and json): the greeting and
negotiation, queries, stop/cont, the exit profiler counting a guest's port writes, system_reset
with the client staying connected, the ACPI power button powering the guest off through busybox
acpid, -S then cont, -no-shutdown and quit. Each check is against the reply and event shapes of
QEMU 7.2 (the profiler's x-vireo- commands are vireo's own). The human monitor on -monitor unix:
shares the first boot: banner and prompt, info status, info pci's chipset, xp of the ACPI RSDP
the guest's kernel found, info registers of a running vCPU, stop and cont; and the monitor
-serial mon:stdio muxes with the serial console (Ctrl-A c)."""
import json
import os
import shutil
import socket
import tempfile
import time
import unittest

from vireo_guest import INITRD, KERNEL, GuestTestCase, Guest, vireo


def process_alive(pid):
    """Whether pid runs (a zombie left for a busy init to reap has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class QmpClient:
    """A minimal QMP client: commands return their reply; events are kept in order."""

    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.buffer = b""
        self.events = []
        self.greeting = self.read()

    def read(self, timeout=60):
        """One message (CRLF-terminated JSON object), or None at end of stream."""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buffer:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return json.loads(line)

    def command(self, name, arguments=None, id=None):
        request = {"execute": name}
        if arguments is not None:
            request["arguments"] = arguments
        if id is not None:
            request["id"] = id
        self.sock.sendall(json.dumps(request).encode() + b"\r\n")
        while True:
            message = self.read()
            if message is None:
                raise AssertionError(f"connection closed waiting for the reply to {name}")
            if "event" in message:
                self.events.append(message)
                continue
            return message

    def event(self, name, timeout=120):
        """The first event called name not seen yet (those before it are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event["event"] == name:
                    del self.events[:index + 1]
                    return event
            message = self.read(max(0.1, deadline - time.monotonic()))
            if message is None:
                raise AssertionError(f"connection closed waiting for event {name}")
            self.events.append(message)

    def close(self):
        self.sock.close()


class HmpClient:
    """The human monitor over a socket: each command's output, up to the next prompt."""

    PROMPT = b"(qemu) "

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buffer = b""
        self.banner = self.until_prompt()

    def until_prompt(self, timeout=30):
        deadline = time.monotonic() + timeout
        while self.PROMPT not in self.buffer:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"the human monitor closed; got {self.buffer!r}")
            self.buffer += chunk
        text, self.buffer = self.buffer.split(self.PROMPT, 1)
        return text.decode(errors="replace")

    def command(self, line):
        """The command's output, after the echo of the line typed."""
        self.sock.sendall(line.encode() + b"\r")
        text = self.until_prompt()
        if not text.startswith(line + "\r\n"):
            raise AssertionError(f"no echo of {line!r} in {text!r}")
        return text[len(line) + 2:]

    def close(self):
        self.sock.close()


class Qmp(GuestTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="vireo-qmp-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.path = os.path.join(self.dir, "qmp.sock")

    def client(self):
        client = QmpClient(self.path)
        self.addCleanup(client.close)
        return client

    def assert_event_shape(self, event, name, data=None):
        self.assertEqual(event["event"], name)
        self.assertIsInstance(event["timestamp"]["seconds"], int)
        self.assertIsInstance(event["timestamp"]["microseconds"], int)
        self.assertLess(abs(event["timestamp"]["seconds"] - time.time()), 120)
        if data is None:
            self.assertNotIn("data", event)
        else:
            self.assertEqual(event["data"], data)

    def test_queries_stop_cont_reset_and_power_button(self):
        hmp_path = os.path.join(self.dir, "hmp.sock")
        guest = self.boot("-qmp", f"unix:{self.path},server=on,wait=off", "-name", "guest=vm1",
                          "-uuid", "6d1f1d2a-47b8-4a5c-9d3e-0123456789ab",
                          "-monitor", f"unix:{hmp_path},server=on,wait=off", "-serial", "mon:stdio", smp="2")
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o600)
        qmp = self.client()
        version = qmp.greeting["QMP"]["version"]
        self.assertEqual(version["qemu"], {"micro": 0, "minor": 2, "major": 7})
        self.assertEqual(qmp.greeting["QMP"]["capabilities"], ["oob"])

        # Negotiation first, as QEMU.
        early = qmp.command("query-status", id="early")
        self.assertEqual(early["error"]["class"], "CommandNotFound")
        self.assertEqual(early["id"], "early")
        self.assertEqual(qmp.command("qmp_capabilities"), {"return": {}})
        self.assertEqual(qmp.command("qmp_capabilities")["error"]["class"], "CommandNotFound")

        self.assertEqual(qmp.command("query-status", id=1),
                         {"return": {"status": "running", "singlestep": False, "running": True}, "id": 1})
        self.assertEqual(qmp.command("query-name")["return"], {"name": "vm1"})
        self.assertEqual(qmp.command("query-uuid")["return"], {"UUID": "6d1f1d2a-47b8-4a5c-9d3e-0123456789ab"})
        self.assertEqual(qmp.command("query-kvm")["return"], {"enabled": True, "present": True})
        self.assertEqual(qmp.command("query-memory-size-summary")["return"],
                         {"base-memory": 256 << 20, "plugged-memory": 0})
        cpus = qmp.command("query-cpus-fast")["return"]
        self.assertEqual([cpu["cpu-index"] for cpu in cpus], [0, 1])
        for cpu in cpus:  # each is one of vireo's own threads
            self.assertTrue(os.path.exists(f"/proc/{guest.proc.pid}/task/{cpu['thread-id']}"), cpu)
            self.assertEqual(set(cpu), {"thread-id", "props", "qom-path", "target", "cpu-index"})
        schema = qmp.command("query-qmp-schema")["return"]
        names = {entry["name"] for entry in schema if entry["meta-type"] == "command"}
        listed = {entry["name"] for entry in qmp.command("query-commands")["return"]}
        self.assertEqual(names, listed)
        self.assertEqual(qmp.command("query-bogus")["error"],
                         {"class": "CommandNotFound", "desc": "The command query-bogus has not been found"})
        self.assertEqual(qmp.command("query-status", {"x": 1})["error"]["desc"], "Parameter 'x' is unexpected")
        hmp = lambda line: qmp.command("human-monitor-command", {"command-line": line})["return"]
        self.assertEqual(hmp("info status"), "VM status: running\r\n")
        self.assertEqual(hmp("info kvm"), "kvm support: enabled\r\n")
        self.assertEqual(hmp("nonsense"), "unknown command: 'nonsense'\r\n")
        self.check_human_monitor(hmp_path, guest, qmp)

        # stop: the guest runs no more until cont (a command typed meanwhile waits).
        status, before = guest.run("date +%s")
        host_before = time.time()
        self.assertEqual(qmp.command("stop"), {"return": {}})
        self.assert_event_shape(qmp.event("STOP"), "STOP")
        self.assertEqual(qmp.command("query-status")["return"],
                         {"status": "paused", "singlestep": False, "running": False})
        guest.send("echo paused-$((40+2))\n")
        time.sleep(3)
        self.assertNotIn("paused-42", guest.text())
        self.assertEqual(qmp.command("cont"), {"return": {}})
        self.assert_event_shape(qmp.event("RESUME"), "RESUME")
        guest.expect("paused-42", 30)
        status, after = guest.run("date +%s")
        guest_elapsed, host_elapsed = int(after) - int(before), time.time() - host_before
        # The kvmclock is set back after the pause, as QEMU does: the guest's clock does not
        # count the 3 s the VM was stopped (it may lag the host's by that much).
        print(f"\nguest clock across a 3 s pause: {guest_elapsed} s (host: {host_elapsed:.1f} s)")
        self.assertLessEqual(guest_elapsed, host_elapsed + 1)

        self.check_exit_profiler(guest, qmp, hmp)

        # system_reset: the guest boots again; this client stays connected, a second one joins.
        self.assertEqual(qmp.command("system_reset"), {"return": {}})
        self.assert_event_shape(qmp.event("RESET"), "RESET", {"guest": False, "reason": "host-qmp-system-reset"})
        guest.expect("vireo-guest: ready", 180)
        guest.run("true")
        self.assertEqual(qmp.command("query-status")["return"]["status"], "running")
        second = self.client()
        self.assertIn("QMP", second.greeting)

        # system_powerdown: the ACPI power button, which busybox acpid turns into a power-off.
        guest.run("mkdir -p /etc/acpi/PWRF && printf '#!/bin/sh\\npoweroff -f\\n' > /etc/acpi/PWRF/00000080 "
                  "&& chmod +x /etc/acpi/PWRF/00000080 && acpid -l /tmp/acpid.log && sleep 1")
        self.assertEqual(qmp.command("system_powerdown"), {"return": {}})
        self.assert_event_shape(qmp.event("POWERDOWN"), "POWERDOWN")
        shutdown = qmp.event("SHUTDOWN", 60)
        self.assert_event_shape(shutdown, "SHUTDOWN", {"guest": True, "reason": "guest-shutdown"})
        self.assertEqual(guest.wait_exit(60), 0)

    def check_exit_profiler(self, guest, qmp, hmp):
        """The exit profiler counts a known number of guest port writes: the guest prints 2000
        characters on its serial console, each one write to the UART's transmit register (port
        0x3f8), counted against serial0; reset clears the counts. (dd to /dev/port made no exit at all in
        this guest, at the POST port 0x80 or the debug console's 0x402.)"""
        self.assertEqual(qmp.command("x-vireo-exits-reset"), {"return": {}})
        writes = 2000
        status, _ = guest.run(f"printf '%{writes}s\\n' ''")
        self.assertEqual(status, 0)
        # Held, the vCPUs count nothing more while the counters are read (the shell's prompt
        # would otherwise add a few serial exits between one counter and the next).
        self.assertEqual(qmp.command("stop"), {"return": {}})
        qmp.event("STOP")
        exits = qmp.command("x-vireo-query-exits")["return"]
        self.assertEqual(qmp.command("cont"), {"return": {}})
        qmp.event("RESUME")
        self.assertEqual([vcpu["cpu-index"] for vcpu in exits["vcpus"]], [0, 1])
        found = [device for device in exits["total"]["devices"] if device["name"] == "serial0"]
        self.assertEqual(len(found), 1, exits["total"]["devices"])
        serial = found[0]
        print(f"\nexit profile after {writes} characters printed: {serial['exits']} exits there, "
              f"{serial['busy-ns'] // max(1, serial['exits'])} ns each on average; total {exits['total']['exits']}")
        # The profiler's clock reads stay in the vDSO only with these clocksources (docs/ARCHITECTURE.md).
        with open("/sys/devices/system/clocksource/clocksource0/current_clocksource") as f:
            source = f.read().strip()
        in_vdso = source in ("tsc", "kvm-clock", "hyperv_clocksource_tsc_page")
        print(f"host clocksource: {source} ({'vDSO' if in_vdso else 'a system call per clock read'})")
        self.assertEqual((serial["kind"], serial["base"]), ("pio", 0x3f8))
        self.assertGreaterEqual(serial["exits"], writes)
        self.assertEqual(sum(serial["latency-ns-log2"]), serial["exits"])
        self.assertGreaterEqual(exits["total"]["exits"]["io"], serial["exits"])
        self.assertEqual(sum(device["exits"] for vcpu in exits["vcpus"] for device in vcpu["devices"]
                             if device["name"] == "serial0"), serial["exits"])
        self.assertGreater(exits["total"]["guest-ns"], 0)
        self.assertGreater(exits["total"]["host-ns"], 0)
        table = hmp("info exits")
        self.assertIn("CPU #1:", table)
        self.assertRegex(table, r"\r\n  serial0 +pio +0x3f8 +\d+ ")
        self.assertEqual(qmp.command("x-vireo-exits-reset"), {"return": {}})
        cleared = qmp.command("x-vireo-query-exits")["return"]["total"]
        left = sum(device["exits"] for device in cleared["devices"] if device["name"] == "serial0")
        self.assertLess(left, writes // 2)
        self.assertLess(cleared["guest-ns"], exits["total"]["guest-ns"])

    def check_human_monitor(self, path, guest, qmp):
        """-monitor unix: on the running guest, a client after another, QMP's client watching."""
        monitor = HmpClient(path)
        self.addCleanup(monitor.close)
        self.assertEqual(monitor.banner, "QEMU 7.2.0 monitor - type 'help' for more information\r\n")
        self.assertEqual(monitor.command("info status"), "VM status: running\r\n")
        pci = monitor.command("info pci")
        for chipset in ("Host bridge: PCI device 8086:1237", "ISA bridge: PCI device 8086:7000",
                        "IDE controller: PCI device 8086:7010", "Bridge: PCI device 8086:7113"):
            self.assertIn(chipset, pci)
        self.assertIn("  Bus  0, device   1, function 1:\r\n", pci)
        # The RSDP where the guest's kernel found it: xp reads guest-physical memory.
        _, found = guest.run("dmesg | grep -o 'ACPI: RSDP 0x[0-9A-F]*' | head -1")
        rsdp = int(found.split()[-1], 16)
        dump = monitor.command(f"xp /8c {rsdp:#x}")
        self.assertEqual(dump, f"{rsdp:016x}: 'R' 'S' 'D' ' ' 'P' 'T' 'R' ' '\r\n")
        self.assertIn("Cannot access memory", monitor.command("xp /1xw 0x7fffffffff"))
        registers = monitor.command("info registers")
        self.assertTrue(registers.startswith("\r\nCPU#0\r\nRAX="), registers)  # a 64-bit kernel
        self.assertIn(" CS64 [-RA]", registers)
        # stop and cont from the human monitor: QMP's client sees the events.
        self.assertEqual(monitor.command("stop"), "")
        self.assert_event_shape(qmp.event("STOP"), "STOP")
        self.assertEqual(monitor.command("info status"), "VM status: paused\r\n")
        self.assertEqual(monitor.command("c"), "")
        self.assert_event_shape(qmp.event("RESUME"), "RESUME")
        monitor.close()
        second = HmpClient(path)  # the monitor takes the next client
        self.addCleanup(second.close)
        self.assertEqual(second.command("info status"), "VM status: running\r\n")
        # mon:stdio: the serial console shares the terminal with a human monitor; Ctrl-A c
        # switches to it and back. (-nographic's default one is gone with -monitor, as in QEMU.)
        guest.send("\x01c")
        guest.expect(r"QEMU 7\.2\.0 monitor - type 'help' for more information\r\n\(qemu\) ", 30)
        guest.send("info cpus\r")
        guest.expect(r"info cpus\r\n\* CPU #0: thread_id=\d+\r\n  CPU #1: thread_id=\d+\r\n\(qemu\) ", 30)
        guest.send("\x01c")
        guest.run("true")

    def test_start_paused_no_shutdown_and_quit(self):
        guest = Guest("-S", "-no-shutdown", "-qmp", f"unix:{self.path},server,nowait")
        self.addCleanup(guest.kill)
        qmp = self.client()
        self.assertEqual(qmp.command("qmp_capabilities"), {"return": {}})
        self.assertEqual(qmp.command("query-status")["return"],
                         {"status": "prelaunch", "singlestep": False, "running": False})
        self.assertEqual(qmp.command("stop"), {"return": {}})  # not running: nothing changes
        time.sleep(2)
        self.assertNotIn("init started", guest.text())  # held before the first instruction
        self.assertEqual(qmp.command("cont"), {"return": {}})
        self.assert_event_shape(qmp.event("RESUME"), "RESUME")
        guest.wait_ready()

        # -no-shutdown: the guest's power-off stops the VM; vireo stays for the monitor.
        guest.send("poweroff -f\n")
        self.assert_event_shape(qmp.event("SHUTDOWN", 60), "SHUTDOWN", {"guest": True, "reason": "guest-shutdown"})
        self.assert_event_shape(qmp.event("STOP"), "STOP")
        self.assertIsNone(guest.proc.poll())
        self.assertEqual(qmp.command("query-status")["return"]["status"], "shutdown")
        self.assertEqual(qmp.command("cont")["error"],
                         {"class": "GenericError", "desc": "Resetting the Virtual Machine is required"})

        # quit: SHUTDOWN before the reply, then the connection closes and vireo exits 0.
        qmp.sock.sendall(b'{"execute": "quit", "id": "bye"}\r\n')
        event = qmp.read()
        self.assert_event_shape(event, "SHUTDOWN", {"guest": False, "reason": "host-qmp-quit"})
        self.assertEqual(qmp.read(), {"return": {}, "id": "bye"})
        self.assertIsNone(qmp.read())
        self.assertEqual(guest.wait_exit(30), 0)

    def test_daemonize_with_a_pidfile_as_libvirt_starts_it(self):
        """-daemonize -pidfile with -S, as libvirt's probe: the parent exits 0 only once the QMP
        socket listens; the pid file holds the daemon's id and refuses a second vireo; the
        daemon answers QMP and, after quit, is gone with its pid file. A daemon whose start
        fails still gives its error and status through the parent."""
        pid_path = os.path.join(self.dir, "vm.pid")
        common = ["-enable-kvm", "-m", "128", "-S", "-nodefaults", "-nographic", "-kernel", KERNEL,
                  "-initrd", INITRD, "-pidfile", pid_path, "-daemonize"]
        status, _, errors = vireo(*common, "-qmp", f"unix:{self.path},server=on,wait=off")
        self.assertEqual(status, 0, errors)
        self.assertTrue(os.path.exists(self.path), "the parent returned before the socket listened")
        with open(pid_path) as f:
            daemon = int(f.read())
        self.assertTrue(process_alive(daemon))
        self.addCleanup(lambda: process_alive(daemon) and os.kill(daemon, 9))

        status, _, errors = vireo(*common, "-qmp", f"unix:{self.path}.2,server=on,wait=off")
        self.assertNotEqual(status, 0)
        self.assertIn("another process holds it", errors)

        qmp = self.client()
        self.assertEqual(qmp.command("qmp_capabilities"), {"return": {}})
        self.assertEqual(qmp.command("query-status")["return"]["status"], "prelaunch")
        qmp.command("quit")
        deadline = time.monotonic() + 30
        while process_alive(daemon) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(process_alive(daemon), "the daemon did not end")
        self.assertFalse(os.path.exists(pid_path), "the pid file was left behind")

        status, _, errors = vireo("-enable-kvm", "-m", "128", "-nodefaults", "-nographic", "-kernel",
                                  os.path.join(self.dir, "missing-kernel"), "-daemonize")
        self.assertEqual(status, 1)
        self.assertIn("missing-kernel", errors)


if __name__ == "__main__":
    unittest.main(verbosity=2)
