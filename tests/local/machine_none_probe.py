#!/usr/bin/env python3
"""-machine none as libvirt's capability probe runs it: the exact command line (with -daemonize and
-pidfile), then the QMP commands libvirt 9.0 sends, each reply's shape checked, then quit. The
parent must exit only once the socket listens and the pidfile is written; quit must end the
daemon and remove the pidfile. A human monitor on a Unix socket in the same run answers without
a machine. Needs no /dev/kvm and no guest. Usage: machine_none_probe.py path/to/vireo"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.file = self.sock.makefile("rw")
        self.greeting = json.loads(self.file.readline())
        self.events = []

    def command(self, name, **arguments):
        message = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.file.write(json.dumps(message) + "\n")
        self.file.flush()
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError(f"{name}: connection closed")
            reply = json.loads(line)
            if "event" in reply:
                self.events.append(reply["event"])
                continue
            return reply


def check(condition, what, problems):
    if not condition:
        problems.append(what)


def read_until(sock, marker, timeout=10):
    sock.settimeout(timeout)
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


def human_monitor(path, problems):
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(10)
    sock.connect(path)
    banner = read_until(sock, b"(qemu) ")
    check(banner == "QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ", f"HMP banner: {banner!r}",
          problems)
    sock.sendall(b"info status\r")
    status = read_until(sock, b"(qemu) ")
    check("VM status: paused (prelaunch)\r\n" in status, f"HMP info status: {status!r}", problems)
    sock.sendall(b"info pci\rinfo cpus\rxp /1xw 0\r")
    rest = read_until(sock, b"Cannot access memory")
    check("Bus  0" not in rest and "CPU #" not in rest, f"-machine none has devices: {rest!r}", problems)
    sock.close()


def main():
    vireo = sys.argv[1]
    problems = []
    with tempfile.TemporaryDirectory(prefix="vireo-probe-") as work:
        qmp_path = os.path.join(work, "qmp.monitor")
        hmp_path = os.path.join(work, "hmp.monitor")
        pid_path = os.path.join(work, "qmp.pid")
        started = time.time()
        parent = subprocess.run([vireo, "-S", "-no-user-config", "-nodefaults", "-nographic",
                                 "-machine", "none,accel=kvm:tcg", "-qmp", f"unix:{qmp_path},server=on,wait=off",
                                 "-monitor", f"unix:{hmp_path},server=on,wait=off",
                                 "-pidfile", pid_path, "-daemonize"],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        print(f"parent exited {parent.returncode} after {time.time() - started:.3f} s")
        if parent.returncode != 0:
            print(f"FAIL: the parent exited {parent.returncode}: {parent.stderr.strip()}")
            return 1
        # The parent returns once the daemon is ready: the socket and the pidfile exist now.
        check(os.path.exists(qmp_path), "no QMP socket when the parent exited", problems)
        check(os.path.exists(pid_path), "no pidfile when the parent exited", problems)
        pid = int(open(pid_path).read().strip())

        human_monitor(hmp_path, problems)

        qmp = Qmp(qmp_path)
        check(qmp.greeting["QMP"]["version"]["qemu"] == {"major": 7, "minor": 2, "micro": 0}, "greeting", problems)
        check("return" in qmp.command("qmp_capabilities"), "qmp_capabilities", problems)
        version = qmp.command("query-version")["return"]
        check(version["qemu"]["major"] == 7 and isinstance(version["package"], str), "query-version", problems)
        check(qmp.command("query-target")["return"] == {"arch": "x86_64"}, "query-target", problems)
        schema = qmp.command("query-qmp-schema")["return"]
        check(isinstance(schema, list) and any(entry.get("name") == "qom-list-types" for entry in schema),
              "query-qmp-schema lists qom-list-types", problems)
        names = {entry["name"] for entry in qmp.command("query-commands")["return"]}
        for needed in ("query-kvm", "qom-list-types", "query-machines", "query-command-line-options",
                       "query-migrate-capabilities", "device-list-properties", "quit"):
            check(needed in names, f"query-commands lacks {needed}", problems)
        kvm = qmp.command("query-kvm")["return"]
        check(set(kvm) == {"enabled", "present"}, f"query-kvm: {kvm}", problems)
        types = qmp.command("qom-list-types")["return"]
        type_names = {entry["name"] for entry in types}
        check({"virtio-blk-pci", "virtio-net-pci", "VGA"} <= type_names, f"qom-list-types: {sorted(type_names)}",
              problems)
        check(all("abstract" not in entry for entry in types), "qom-list-types lists abstract types", problems)
        pci = qmp.command("qom-list-types", implements="pci-device", abstract=True)["return"]
        check("device" not in {entry["name"] for entry in pci}, "implements= is not applied", problems)
        machines = qmp.command("query-machines")["return"]
        check(any(machine.get("alias") == "pc" for machine in machines), "query-machines", problems)
        for machine in machines:
            for key in ("name", "cpu-max", "hotpluggable-cpus", "deprecated"):
                check(key in machine, f"query-machines lacks {key}", problems)
        options = qmp.command("query-command-line-options")["return"]
        check(isinstance(options, list) and all("option" in entry for entry in options),
              "query-command-line-options", problems)
        check(qmp.command("query-migrate-capabilities")["return"] == [], "query-migrate-capabilities", problems)
        properties = qmp.command("device-list-properties", typename="virtio-blk-pci")["return"]
        check(any(entry["name"] == "drive" for entry in properties), f"virtio-blk-pci's properties: {properties}",
              problems)
        missing = qmp.command("device-list-properties", typename="no-such-device")
        check(missing.get("error", {}).get("class") == "DeviceNotFound", f"unknown device: {missing}", problems)
        status = qmp.command("query-status")["return"]
        check(status["status"] == "prelaunch" and status["running"] is False, f"query-status: {status}", problems)
        check(qmp.command("query-cpus-fast")["return"] == [], "query-cpus-fast on no machine", problems)
        check("return" in qmp.command("quit"), "quit", problems)

        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            problems.append("the daemon still runs 10 s after quit")
            os.kill(pid, 9)
        check(not os.path.exists(pid_path), "the pidfile stays after quit", problems)
        check(not os.path.exists(qmp_path), "the QMP socket stays after quit", problems)
        check("SHUTDOWN" in qmp.events, f"no SHUTDOWN event: {qmp.events}", problems)

    for problem in problems:
        print(f"FAIL: {problem}")
    if not problems:
        print("ok: -machine none answered libvirt's probe and ended on quit")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
