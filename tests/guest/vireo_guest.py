"""Drives a vireo guest through its serial console on stdio: start, expect, run commands, wait for exit."""
import os
import re
import subprocess
import threading
import time
import unittest

VIREO = os.environ.get("VIREO_BIN", "vireo")
CACHE = os.environ.get("VIREO_CACHE", os.path.join(os.path.dirname(__file__), "../../.cache"))
KERNEL = os.path.join(CACHE, "guest/vmlinuz")
INITRD = os.path.join(CACHE, "guest/initrd.gz")
PROMPT = "/ # "


class Guest:
    def __init__(self, *extra, memory="256", smp="1", append="console=ttyS0 quiet", kernel=KERNEL, initrd=INITRD):
        args = [VIREO, "-enable-kvm", "-m", str(memory), "-smp", str(smp), "-kernel", kernel]
        if initrd:
            args += ["-initrd", initrd]
        args += ["-append", append, "-nographic", "-nic", "none", *extra]
        self.args = args
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.output = b""
        self.errors = b""
        self.lock = threading.Condition()
        threading.Thread(target=self._pump, args=(self.proc.stdout, "output"), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, "errors"), daemon=True).start()
        self.started = time.monotonic()
        self.cursor = 0

    def _pump(self, stream, name):
        while True:
            chunk = os.read(stream.fileno(), 65536)
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
                if remaining <= 0 or self.proc.poll() is not None and not self._more_coming():
                    raise AssertionError(f"timed out waiting for {pattern!r}; console so far:\n"
                                         f"{self.output[-3000:].decode(errors='replace')}\nstderr:\n"
                                         f"{self.errors[-2000:].decode(errors='replace')}")
                self.lock.wait(min(remaining, 0.5))

    def _more_coming(self):
        return False

    def send(self, text):
        self.proc.stdin.write(text.encode() if isinstance(text, str) else text)
        self.proc.stdin.flush()

    def wait_ready(self, timeout=180):
        self.expect("vireo-guest: ready", timeout)
        self.run("true")  # a prompt answers

    def run(self, command, timeout=120):
        """Runs a shell command in the guest; returns (status, output)."""
        marker = f"@@{time.monotonic_ns()}"
        with self.lock:
            before = len(self.output)
        self.send(f"{command}; echo {marker}-$?-{marker[2:]}\n")
        match = self.expect(re.escape(marker) + r"-(\d+)-" + re.escape(marker[2:]), timeout)
        with self.lock:
            region = self.output[before:match.start()]
        echo = region.find(marker.encode())  # the terminal's echo of the command line
        if echo >= 0:
            newline = region.find(b"\n", echo)
            region = region[newline + 1:] if newline >= 0 else b""
        return int(match.group(1)), region.decode(errors="replace").replace("\r", "").strip()

    def wait_exit(self, timeout=120):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"vireo did not exit; console:\n{self.text()[-2000:]}")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class GuestTestCase(unittest.TestCase):
    def boot(self, *extra, **options):
        guest = Guest(*extra, **options)
        self.addCleanup(guest.kill)
        guest.wait_ready()
        return guest


def vireo(*args, timeout=60):
    """Runs vireo to completion (for option errors); returns (status, stdout, stderr)."""
    done = subprocess.run([VIREO, *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
