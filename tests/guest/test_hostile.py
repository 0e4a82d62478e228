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


class HostileGuest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="vireo-hostile-")
        cls.initrd = build_initrd(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_seed(self, seed):
        disk = os.path.join(self.dir, f"disk-{seed}.raw")
        ide = os.path.join(self.dir, f"ide-{seed}.raw")
        for path in (disk, ide):
            with open(path, "wb") as f:
                f.truncate(16 << 20)
        qmp_path = os.path.join(self.dir, f"qmp-{seed}.sock")
        guest = Guest("-no-reboot", "-vga", "std", "-drive", f"file={disk},format=raw,if=virtio",
                      "-drive", f"file={ide},format=raw,if=ide", "-device", "virtio-rng-pci",
                      "-nic", "user,model=virtio-net-pci", "-device", "virtio-serial-pci",
                      "-qmp", f"unix:{qmp_path},server=on,wait=off",
                      memory=str(MEMORY_MIB), initrd=self.initrd, shell="serial")
        self.addCleanup(guest.kill)
        guest.wait_ready()
        qmp = QmpClient(qmp_path)
        self.addCleanup(qmp.close)
        self.assertEqual(qmp.command("qmp_capabilities"), {"return": {}})
        # The guest's drivers keep busy meanwhile: disk reads and writes, entropy.
        guest.send("(while :; do dd if=/dev/urandom of=/dev/vda bs=64k count=16 2>/dev/null; "
                   "dd if=/dev/vda of=/dev/null bs=64k count=16 2>/dev/null; "
                   "dd if=/dev/hwrng of=/dev/null bs=64 count=1 2>/dev/null; done &)\n")
        # (the marker is printed with an octal escape so that the echoed command line never matches)
        guest.send(f"/hostile {seed} {SECONDS}; printf 'HOSTILE-\\105ND %d\\n' $?\n")
        deadline = time.monotonic() + SECONDS + 90
        peak = 0
        while time.monotonic() < deadline and guest.proc.poll() is None and "HOSTILE-END" not in guest.text():
            peak = max(peak, peak_memory_kib(guest.proc.pid))
            time.sleep(1)
        done = re.search(r"hostile: done, (\d+) actions", guest.text())
        fate = f"ran to its end ({done.group(1)} actions)" if done else "the guest stopped answering"
        if guest.proc.poll() is not None:
            # Only as the hardware would: a reset under -no-reboot (or a power-off) ends with 0.
            self.assertEqual(guest.proc.returncode, 0,
                             f"seed {seed}: vireo ended with {guest.proc.returncode}:\n{guest.errors.decode(errors='replace')[-3000:]}")
            return f"seed {seed}: the guest reset or powered off the machine; vireo exited 0"
        # The event loop still serves the monitor.
        status = qmp.command("query-status")
        self.assertIn("return", status, f"seed {seed}: {status}")
        peak = max(peak, peak_memory_kib(guest.proc.pid))
        guest.proc.terminate()
        self.assertEqual(guest.wait_exit(30), 0, f"seed {seed}: SIGTERM did not end vireo cleanly")
        errors = guest.errors.decode(errors="replace")
        self.assertNotIn("sandbox:", errors, f"seed {seed}")
        self.assertNotIn("Sanitizer", errors, f"seed {seed}")
        # Guest RAM plus what vireo's own bounds allow (docs/ARCHITECTURE.md, "Bounded resources").
        self.assertLess(peak, (MEMORY_MIB + 384) * 1024, f"seed {seed}: peak RSS {peak} KiB")
        return f"seed {seed}: {fate}; vireo kept running (query-status {status['return']['status']}), " \
               f"peak RSS {peak // 1024} MiB, SIGTERM exit 0"

    def test_random_ports_bars_config_and_garbage_virtqueues(self):
        results = []
        for seed in SEEDS:
            with self.subTest(seed=seed):
                results.append(self.run_seed(seed))
                self.doCleanups()
        print("\n" + "\n".join(results))


if __name__ == "__main__":
    unittest.main(verbosity=2)
