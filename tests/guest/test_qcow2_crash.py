"""Crash consistency of qcow2 writes: a guest writes known data and flushes it, then keeps writing
random data (some flushed, some O_DIRECT, some through its page cache) while the test kills vireo
with SIGKILL at a random moment. Every image must then pass `qemu-img check` with no corruption
(leaked clusters are allowed: exit 0 or 3), and the data flushed before the kill must be there.

Each trial boots one guest with a fresh image and an overlay over a backing file; the trials
cycle through cluster sizes and refcount widths. CRASH_TRIALS and CRASH_SEED override the defaults."""
import os
import random
import signal
import subprocess
import tempfile
import time
import unittest

from vireo_guest import Guest

MIB = 1024 * 1024
KIB = 1024
TRIALS = int(os.environ.get("CRASH_TRIALS", "20"))
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()))))
VARIANTS = [[], ["-o", "cluster_size=4k"], ["-o", "cluster_size=2M"], ["-o", "refcount_bits=1"],
            ["-o", "refcount_bits=64,cluster_size=16k"]]
FRESH_SIZE = 16 * MIB
OVERLAY_SIZE = 17 * MIB
PATTERN_SIZE = 2 * MIB

# Known data: the first MiB, and one 4 KiB block 32 KiB into each later MiB below 16 MiB, so
# that random writes later land in the same clusters as flushed data without overwriting it.
KNOWN_BLOCKS = [(m * MIB + 32 * KIB, MIB + m * 4 * KIB) for m in range(1, 16)]  # (disk, pattern)

# Random writes: 1-8 blocks of 4 KiB at 4 KiB block m*256+o, o in 9..247, so they never touch
# a known block (block m*256+8) and stay below 16 MiB.
WRITER = (
    "w() { while :; do m=$((RANDOM%15+1)); o=$((RANDOM%239+9)); c=$((RANDOM%8+1)); "
    "case $((RANDOM%3)) in 0) f='conv=notrunc,fsync';; 1) f='conv=notrunc oflag=direct';; *) f=conv=notrunc;; esac; "
    "dd if=/dev/urandom of=/dev/$1 bs=4096 seek=$((m*256+o)) count=$c $f 2>/dev/null; done; }"
)


class BootFailed(AssertionError):
    """The guest did not get to the kill point (no marker): not a crash-consistency failure."""


def describe_stall(guest):
    """Prints what vireo's threads are doing when the guest's console stops (for a bug report)."""
    guest.send("\n")  # a lost transmit interrupt would be rescued by a receive interrupt
    time.sleep(2)
    print(f"console after a newline: {guest.text()[-200:]!r}", flush=True)
    pid = guest.proc.pid
    try:
        for tid in sorted(os.listdir(f"/proc/{pid}/task")):
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/task/{tid}/wchan") as f:
                print(f"  thread {tid} {stat[stat.index('('):stat.rindex(')') + 3]} wchan={f.read()}", flush=True)
        done = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt 12"],
                              capture_output=True, text=True, timeout=60)
        print("\n".join(line for line in done.stdout.splitlines() if line.startswith(("#", "Thread"))), flush=True)
    except (OSError, subprocess.SubprocessError) as error:
        print(f"  cannot inspect vireo: {error}", flush=True)


def qemu_img(*args):
    return subprocess.run(["qemu-img", *args], capture_output=True, text=True)


class Qcow2Crash(unittest.TestCase):
    def test_sigkill_during_writes_keeps_images_consistent(self):
        rng = random.Random(SEED)
        print(f"seed {SEED}, {TRIALS} trials", flush=True)
        # A guest that stops before the kill point (the nested test host's problem, README) proves
        # nothing about qcow2: that trial is replaced by a new one, up to a quarter more attempts.
        # Every finished trial counts, and TRIALS of them must finish.
        failures, finished, stalled = [], 0, 0
        for trial in range(TRIALS + (TRIALS + 3) // 4):
            if finished == TRIALS:
                break
            variant = VARIANTS[trial % len(VARIANTS)]
            with tempfile.TemporaryDirectory() as work:
                try:
                    self.run_trial(work, trial, variant, rng)
                    finished += 1
                except BootFailed as error:
                    stalled += 1
                    print(f"trial {trial}: guest stalled before the kill, replaced by another trial: {error}", flush=True)
                except AssertionError as error:
                    finished += 1
                    failures.append(f"trial {trial} ({' '.join(variant) or 'defaults'}): {error}")
                    print(failures[-1], flush=True)
        self.assertEqual(failures, [])
        self.assertEqual(finished, TRIALS, f"only {finished} trials finished; {stalled} guests stalled before the kill")

    def run_trial(self, work, trial, variant, rng):
        path = lambda name: os.path.join(work, name)
        started = time.monotonic()
        pattern = rng.randbytes(PATTERN_SIZE)
        with open(path("pattern.raw"), "wb") as f:
            f.write(pattern)
        base_data = rng.randbytes(OVERLAY_SIZE)
        with open(path("base.raw"), "wb") as f:
            f.write(base_data)
        for args in (["create", "-f", "qcow2", *variant, path("fresh.qcow2"), str(FRESH_SIZE)],
                     ["convert", "-f", "raw", "-O", "qcow2", *variant, path("base.raw"), path("base.qcow2")],
                     ["create", "-f", "qcow2", *variant, "-b", path("base.qcow2"), "-F", "qcow2",
                      path("overlay.qcow2")]):
            done = qemu_img(*args)
            assert done.returncode == 0, done.stderr
        targets = {"fresh": (path("fresh.qcow2"), FRESH_SIZE), "overlay": (path("overlay.qcow2"), OVERLAY_SIZE)}

        # The shell on a virtio console: see Guest (busy serial consoles stall the test host's guests).
        guest = Guest("-drive", f"file={path('pattern.raw')},format=raw,if=virtio,readonly=on",
                      *[a for image, _ in targets.values() for a in ("-drive", f"file={image},format=qcow2,if=virtio")],
                      shell="hvc")
        try:
            self.prepare(guest, targets, src_size=PATTERN_SIZE, rng=rng)
        except AssertionError as error:
            if "timed out waiting" in str(error):
                print(f"trial's guest stopped: {error}", flush=True)  # with vireo's state report
                describe_stall(guest)
                guest.kill()
                raise BootFailed(str(error)[-600:])
            guest.kill()
            raise
        try:
            guest.proc.send_signal(signal.SIGKILL)
            guest.proc.wait()
        finally:
            guest.kill()
        self.verify(targets, pattern, base_data, path, trial, variant, started)

    def prepare(self, guest, targets, src_size, rng):
        """Boots, writes and flushes the known data, starts the writers, waits a random time."""
        guest.expect("vireo-guest: ready", timeout=60)
        guest.run("true", timeout=20)
        status, out = guest.run("for d in /sys/block/vd*; do echo ${d##*/} $(cat $d/size); done", timeout=20)
        names = {int(sectors) * 512: dev for dev, sectors in (line.split() for line in out.splitlines())}
        src = names[src_size]
        devs = [names[size] for _, size in targets.values()]
        # The known part, flushed: dd's conv=fsync is an fsync of the block device, which
        # writes back its page cache and sends a flush (virtio 1.2 §5.2.6 VIRTIO_BLK_T_FLUSH).
        for dev in devs:
            command = (f"s=/dev/{src}; t=/dev/{dev}; dd if=$s of=$t bs=65536 count=16 conv=notrunc 2>/dev/null && "
                       "for m in $(seq 1 15); do dd if=$s of=$t bs=4096 count=1 skip=$((256+m)) seek=$((m*256+8)) "
                       "conv=notrunc 2>/dev/null || exit 1; done && "
                       "dd if=$s of=$t bs=4096 count=0 conv=notrunc,fsync 2>/dev/null")
            status, out = guest.run(f"({command})", timeout=60)
            assert status == 0, f"known writes failed: {out}"
        # Marker printed with octal escapes so the echo of the command line never matches.
        guest.send(f"{WRITER}; " + " ".join(f"w {dev} &" for dev in devs) + " printf '\\127RITING\\n'\n")
        guest.expect("WRITING\r?\n", timeout=30)
        time.sleep(rng.uniform(0.05, 2.0))
        assert guest.proc.poll() is None, "vireo exited before the kill"

    def verify(self, targets, pattern, base_data, path, trial, variant, started):
        killed = time.monotonic()
        leaks = []
        for name, (image, size) in targets.items():
            done = qemu_img("check", "-f", "qcow2", image)
            assert done.returncode in (0, 3), f"{name}: qemu-img check exit {done.returncode}:\n{done.stdout}{done.stderr}"
            if done.returncode == 3:
                leaks.append(name)
            raw = path(f"{name}.out")
            done = qemu_img("convert", "-f", "qcow2", "-O", "raw", image, raw)
            assert done.returncode == 0, f"{name}: convert failed: {done.stderr}"
            with open(raw, "rb") as f:
                data = f.read()
            assert len(data) == size, f"{name}: size {len(data)}"
            assert data[:MIB] == pattern[:MIB], f"{name}: the flushed first MiB is wrong"
            for disk, source in KNOWN_BLOCKS:
                assert data[disk:disk + 4096] == pattern[source:source + 4096], \
                    f"{name}: flushed block at {disk:#x} is wrong"
            if name == "overlay":
                assert data[16 * MIB:] == base_data[16 * MIB:], "overlay: data from the backing file is wrong"
        print(f"trial {trial}: ok ({' '.join(variant) or 'defaults'}; leaks in {leaks or 'none'}; "
              f"{killed - started:.1f} s to the kill, {time.monotonic() - killed:.1f} s checking)", flush=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
