"""Drives a vireo guest through its console (serial on stdio, or a virtio console on a socket): start,
expect, run commands, wait for exit."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import functools
import sys
import unittest

VIREO = os.environ.get("VIREO_BIN", "vireo")
CACHE = os.environ.get("VIREO_CACHE", os.path.join(os.path.dirname(__file__), "../../.cache"))
KERNEL = os.path.join(CACHE, "guest/vmlinuz")
INITRD = os.path.join(CACHE, "guest/initrd.gz")
PROMPT = "/ # "
IN_TESTHOST = os.environ.get("VIREO_IN_TESTHOST") == "1"

# Every Guest started by the current attempt of a test (GuestTestCase retries look at them).
started_guests = []


class Guest:
    """shell="hvc": the guest's shell runs on a virtio console (a socket chardev) instead of the
    serial one, which keeps kernel messages. Tests that type and print a lot while doing I/O use
    it: every byte through the UART is an exit, and in the nested test host busy serial consoles
    are where guests triple-fault or stop (README, known problems)."""
    def __init__(self, *extra, memory="256", smp="1", append="console=ttyS0 quiet", kernel=KERNEL, initrd=INITRD,
                 wrapper=(), shell="serial", binary=None):
        net = [] if any(a in ("-nic", "-net", "-netdev") for a in extra) else ["-nic", "none"]
        # binary: another VMM on the same command line (the benchmarks run qemu-system-x86_64)
        args = [*wrapper, binary or VIREO, "-enable-kvm", "-m", str(memory), "-smp", str(smp)]
        if kernel:  # kernel=None: the firmware boots what the disks hold (the boot loader picks the command line)
            args += ["-kernel", kernel]
        if kernel and initrd:
            args += ["-initrd", initrd]
        self.shell_dir = None
        if shell == "hvc":
            self.shell_dir = tempfile.mkdtemp(prefix="vireo-shell-")
            shell_socket = os.path.join(self.shell_dir, "shell.sock")
            extra = (*extra, "-chardev", f"socket,id=shell0,path={shell_socket},server=on,wait=off",
                     "-device", "virtio-serial-pci", "-device", "virtconsole,chardev=shell0")
            append += " vireo.shell=hvc0"
        args += (["-append", append] if kernel else []) + ["-nographic", *net, *extra]
        self.args = args
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.output = b""  # what the shell prints: the serial console, or the virtio one
        self.serial = b""  # the serial console, when the shell is on the virtio one
        self.errors = b""
        self.lock = threading.Condition()
        self.shell = self._connect(shell_socket) if self.shell_dir else None
        threading.Thread(target=self._pump, args=(self.proc.stdout, "serial" if self.shell_dir else "output"),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, "errors"), daemon=True).start()
        if self.shell:
            threading.Thread(target=self._pump, args=(self.shell, "output"), daemon=True).start()
        self.started = time.monotonic()
        self.cursor = 0
        self.timed_out = False
        started_guests.append(self)

    def _connect(self, path, timeout=30):
        """Connects to vireo's shell socket once vireo has made it (None if vireo ended first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                connection.connect(path)
                return connection
            except OSError:
                connection.close()
                time.sleep(0.05)
        return None

    def _serial_console(self):
        return self.serial if self.shell_dir else self.output

    def _pump(self, stream, name):
        while True:
            try:
                chunk = os.read(stream.fileno(), 65536)
            except OSError:
                break
            if not chunk:
                break
            with self.lock:
                setattr(self, name, getattr(self, name) + chunk)
                self.lock.notify_all()

    def text(self):
        with self.lock:
            return self.output.decode(errors="replace")

    def expect(self, pattern, timeout=120):
        """Waits for pattern (regex) in the console output after the cursor; returns the match."""
        regex = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                match = regex.search(self.output, self.cursor)
                if match:
                    self.cursor = match.end()
                    return match
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.proc.poll() is not None and not self._more_coming() \
                        or self.triple_faulted():
                    self.timed_out = remaining <= 0
                    self._request_state_report()
                    serial = f"serial console so far:\n{self.serial[-1500:].decode(errors='replace')}\n" \
                        if self.shell_dir else ""
                    raise AssertionError(f"timed out waiting for {pattern!r}{self._restart_hint()}; console so far:\n"
                                         f"{self.output[-3000:].decode(errors='replace')}\n{serial}stderr:\n"
                                         f"{self.errors[-4000:].decode(errors='replace')}\n"
                                         f"vireo's threads:\n{self._thread_states()}")
                self.lock.wait(min(remaining, 0.5))

    def _request_state_report(self):
        """Asks a running vireo for its interrupt state (SIGUSR2: irqchips, PIT, UART, vCPUs) and
        lets its lines reach stderr. Called with self.lock held."""
        if self.proc.poll() is not None or self.triple_faulted():
            return
        try:
            self.proc.send_signal(signal.SIGUSR2)
        except OSError:
            return
        deadline = time.monotonic() + 2.0  # the vCPUs answer from their own threads
        while (left := deadline - time.monotonic()) > 0:
            self.lock.wait(left)

    def _restart_hint(self):
        # In the nested test host, I/O-heavy guests are sometimes corrupted by the test host
        # itself (QEMU as the inner VMM too: see README, known problems); say so when it shows.
        if self._serial_console().count(b"vireo-guest: init started") > 1:
            return " (the guest restarted on its own: it crashed or reset)"
        return ""

    def _thread_states(self):
        """What each vireo thread is doing (state, kernel wait channel, CPU ticks over one second):
        tells a guest that stopped (vCPU thread asleep or in KVM_RUN) from a busy or stuck VMM."""
        def sample():
            states = {}
            try:
                for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
                    base = f"/proc/{self.proc.pid}/task/{tid}"
                    def read(name):
                        with open(f"{base}/{name}") as file:
                            return file.read().strip()
                    fields = read("stat").rsplit(")", 1)[1].split()
                    states[tid] = (read("comm"), fields[0], int(fields[11]) + int(fields[12]), read("wchan"))
            except OSError:
                pass
            return states
        before = sample()
        time.sleep(1)
        after = sample()
        return "\n".join(f"  {tid} {comm} {state} wchan={wchan} cpu_ticks/s={ticks - before.get(tid, (0, 0, ticks))[2]}"
                         for tid, (comm, state, ticks, wchan) in sorted(after.items())) or "  (gone)"

    def _more_coming(self):
        return False

    def send(self, text):
        data = text.encode() if isinstance(text, str) else text
        if self.shell_dir:
            if self.shell is None:
                raise AssertionError(f"no connection to the guest's shell socket; stderr:\n{self.errors.decode(errors='replace')}")
            self.shell.sendall(data)
            return
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_ready(self, timeout=180):
        self.expect("vireo-guest: ready", timeout)
        self.run("true")  # a prompt answers

    def run(self, command, timeout=120):
        """Runs a shell command in the guest; returns (status, output)."""
        token = str(time.monotonic_ns())
        # The markers are printed with octal escapes so that the terminal's echo of the command
        # line never matches them: "\102\107N" prints as "BGN", "\105\116D" as "END".
        self.send(f"printf '\\102\\107N{token}\\n'; {command}; printf '\\105\\116D{token}-%d\\n' $?\n")
        start = self.expect(f"BGN{token}\r?\n", timeout)
        end = self.expect(f"END{token}-(\\d+)", timeout)
        with self.lock:
            body = self.output[start.end():end.start()]
        return int(end.group(1)), body.decode(errors="replace").replace("\r", "").strip()

    def wait_exit(self, timeout=120):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"vireo did not exit; console:\n{self.text()[-2000:]}")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                # Only a process stuck in the kernel survives SIGKILL: the test host's KVM hung.
                raise AssertionError("vireo survived SIGKILL for 30 s (stuck in the test host's kernel)")
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr, self.shell):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        if self.shell_dir:
            shutil.rmtree(self.shell_dir, ignore_errors=True)


    def triple_faulted(self):
        with self.lock:
            return b"triple fault" in self.errors


def _retry_after_testhost_fault(test):
    """In the nested test host, guests now and then triple-fault or stop on their own, under QEMU
    as the inner VMM too (README, known problems): a test whose guest did so runs once more, from
    setUp, after printing the first attempt's failure (with vireo's state report). On hardware
    KVM, and for any other failure, the first result stands."""
    @functools.wraps(test)
    def attempt(self, *args, **kwargs):
        started_guests.clear()
        try:
            return test(self, *args, **kwargs)
        except Exception as error:
            faulted = [g for g in started_guests if g.triple_faulted() or g.timed_out]
            if not IN_TESTHOST or not faulted:
                raise
            what = "triple-faulted" if any(g.triple_faulted() for g in faulted) else "stopped answering"
            print(f"\n{self.id()}: a guest {what} in the nested test host; running the test once more. "
                  f"The first attempt:\n{error}\n", file=sys.stderr)
        self.doCleanups()
        self.setUp()
        started_guests.clear()
        return test(self, *args, **kwargs)
    return attempt


class GuestTestCase(unittest.TestCase):
    shell = "serial"  # where boot()'s guests run their shell: "serial", or "hvc" (see Guest)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, member in list(vars(cls).items()):
            if name.startswith("test") and callable(member):
                setattr(cls, name, _retry_after_testhost_fault(member))

    def boot(self, *extra, **options):
        options.setdefault("shell", self.shell)
        guest = Guest(*extra, **options)
        self.addCleanup(guest.kill)
        guest.wait_ready()
        return guest


def vireo(*args, timeout=60):
    """Runs vireo to completion (for option errors); returns (status, stdout, stderr)."""
    done = subprocess.run([VIREO, *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
