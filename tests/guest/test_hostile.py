"""A hostile guest: tests/guest/hostile/hostile.c, run as root in the guest, writes random values
to I/O ports, to every PCI function's BARs and configuration space, and sets up virtqueues with
garbage rings, while the guest's drivers use the devices (virtio-blk, -net, -rng, -console, IDE,
the VGA). vireo must keep running, its event loop answering QMP, or end only as the hardware
would (the guest reset the machine under -no-reboot: status 0); then SIGTERM ends it cleanly,
and its memory stays bounded. A few seeds here; bench/hostile_soak.sh runs many."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
from dataclasses import dataclass

from test_qmp import QmpClient
from vireo_guest import INITRD, Guest

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = [int(s) for s in os.environ.get("HOSTILE_SEEDS", "1,2,3").split(",")]
SECONDS = int(os.environ.get("HOSTILE_SECONDS", "20"))
MEMORY_MIB = 256


def build_initrd(directory):
    """The default guest's initramfs with /hostile added (a second, concatenated cpio archive)."""
    root = os.path.join(directory, "root")
    os.makedirs(root)
    subprocess.run(["gcc", "-static", "-O2", "-o", os.path.join(root, "hostile"),
                    os.path.join(HERE, "hostile", "hostile.c")], check=True)
    extra = os.path.join(directory, "hostile.cpio.gz")
    subprocess.run(f"cd {root} && echo hostile | cpio -o -H newc --quiet | gzip -1 > {extra}", shell=True, check=True)
    combined = os.path.join(directory, "initrd.gz")
    with open(combined, "wb") as out:
        for part in (INITRD, extra):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out)
    return combined


def peak_memory_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return 0


@dataclass
class Outcome:
    """What one seed did to one VMM."""
    seed: int
    actions: int | None  # the hostile program's count when it ran to its end, else None
    program_status: int | None  # its exit status when the guest's shell reported one, else None
    faults: str | None  # the faults the program survived ("N ..., the first SIGSEGV at ADDR"), if any
    exit_status: int | None  # the VMM's status when it ended by itself, else None
    qmp_status: str | None  # query-status's answer at the end, while it still ran (None: an error)
    sigterm_status: int | None  # its status after SIGTERM, when it was still running
    peak_kib: int  # peak RSS (VmHWM)
    errors: str  # its stderr
    console: str  # the end of the guest's console

    def fate(self):
        if self.actions is not None:
            ran = f"ran to its end ({self.actions} actions{'; ' + self.faults if self.faults else ''})"
        elif self.program_status is not None:
            ran = f"the program ended early with status {self.program_status} (the guest broke itself)"
        else:
            ran = "the guest stopped answering"
        if self.exit_status is not None:
            return f"{ran}; the VMM ended by itself with status {self.exit_status}"
        return f"{ran}; the VMM kept running (query-status {self.qmp_status}), SIGTERM exit {self.sigterm_status}"


def run_seed(directory, initrd, seed, seconds, binary=None):
    """Boots the hostile guest (under binary, vireo by default: the command line is QEMU's too),
    runs /hostile SEED SECONDS beside busy drivers, and reports what became of the VMM."""
    disk = os.path.join(directory, f"disk-{seed}.raw")
    ide = os.path.join(directory, f"ide-{seed}.raw")
    for path in (disk, ide):
        with open(path, "wb") as f:
            f.truncate(16 << 20)
    qmp_path = os.path.join(directory, f"qmp-{seed}.sock")
    guest = Guest("-no-reboot", "-vga", "std", "-drive", f"file={disk},format=raw,if=virtio",
                  "-drive", f"file={ide},format=raw,if=ide", "-device", "virtio-rng-pci",
                  "-nic", "user,model=virtio-net-pci", "-device", "virtio-serial-pci",
                  "-qmp", f"unix:{qmp_path},server=on,wait=off",
                  memory=str(MEMORY_MIB), initrd=initrd, shell="serial", binary=binary)
    qmp = None
    try:
        guest.wait_ready()
        qmp = QmpClient(qmp_path)
        greeting = qmp.command("qmp_capabilities")
        if greeting != {"return": {}}:
            raise AssertionError(f"seed {seed}: qmp_capabilities answered {greeting}")
        # The guest's drivers keep busy meanwhile: disk reads and writes, entropy.
        guest.send("(while :; do dd if=/dev/urandom of=/dev/vda bs=64k count=16 2>/dev/null; "
                   "dd if=/dev/vda of=/dev/null bs=64k count=16 2>/dev/null; "
                   "dd if=/dev/hwrng of=/dev/null bs=64 count=1 2>/dev/null; done &)\n")
        # (the marker is printed with an octal escape so that the echoed command line never matches)
        guest.send(f"/hostile {seed} {seconds}; printf 'HOSTILE-\\105ND %d\\n' $?\n")
        deadline = time.monotonic() + seconds + 90
        peak = 0
        while time.monotonic() < deadline and guest.proc.poll() is None and "HOSTILE-END" not in guest.text():
            peak = max(peak, peak_memory_kib(guest.proc.pid))
            time.sleep(1)
        text = guest.text()
        done = re.search(r"hostile: done, (\d+) actions", text)
        ended = re.search(r"HOSTILE-END (\d+)", text)
        faults = re.search(r"hostile: (\d+ faults in this program, the first [^\r\n]*\))", text)
        program = dict(seed=seed, actions=int(done.group(1)) if done else None,
                       program_status=int(ended.group(1)) if ended else None,
                       faults=faults.group(1) if faults else None, console=text[-2000:])
        if guest.proc.poll() is not None:
            return Outcome(**program, exit_status=guest.proc.returncode, qmp_status=None, sigterm_status=None,
                           peak_kib=peak, errors=guest.errors.decode(errors="replace"))
        # The event loop still serves the monitor.
        status = qmp.command("query-status")
        peak = max(peak, peak_memory_kib(guest.proc.pid))
        guest.proc.terminate()
        sigterm_status = guest.wait_exit(30)
        return Outcome(**program, exit_status=None,
                       qmp_status=status["return"]["status"] if "return" in status else None,
                       sigterm_status=sigterm_status, peak_kib=peak, errors=guest.errors.decode(errors="replace"))
    finally:
        if qmp is not None:
            qmp.close()
        guest.kill()


class HostileGuest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="vireo-hostile-")
        cls.initrd = build_initrd(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def check_seed(self, seed):
        outcome = run_seed(self.dir, self.initrd, seed, SECONDS)
        if outcome.exit_status is not None:
            # Only as the hardware would: a reset under -no-reboot (or a power-off) ends with 0.
            self.assertEqual(outcome.exit_status, 0,
                             f"seed {seed}: vireo ended with {outcome.exit_status}:\n{outcome.errors[-3000:]}")
            return f"seed {seed}: the guest reset or powered off the machine; vireo exited 0"
        self.assertIsNotNone(outcome.qmp_status, f"seed {seed}")
        self.assertEqual(outcome.sigterm_status, 0, f"seed {seed}: SIGTERM did not end vireo cleanly")
        self.assertNotIn("sandbox:", outcome.errors, f"seed {seed}")
        self.assertNotIn("Sanitizer", outcome.errors, f"seed {seed}")
        # Guest RAM plus what vireo's own bounds allow (docs/ARCHITECTURE.md, "Bounded resources").
        self.assertLess(outcome.peak_kib, (MEMORY_MIB + 384) * 1024, f"seed {seed}: peak RSS {outcome.peak_kib} KiB")
        return f"seed {seed}: {outcome.fate()}, peak RSS {outcome.peak_kib // 1024} MiB"

    def test_random_ports_bars_config_and_garbage_virtqueues(self):
        results = []
        for seed in SEEDS:
            with self.subTest(seed=seed):
                results.append(self.check_seed(seed))
        print("\n" + "\n".join(results))


if __name__ == "__main__":
    unittest.main(verbosity=2)
