"""Not a test: reproduces the nested test host's corruption of I/O-heavy guests (README, known problems).
Loops direct-I/O dd and console output in one guest until a command does not answer, then prints
vireo's threads, 0.5 s of the test host's KVM trace events and the console.

Usage (here, through the test host):
  scripts/testhost-run.sh env VIREO_BIN=$PWD/build/vireo VIREO_CACHE=$PWD/.cache python3 tests/guest/io_stress.py
Environment: ROUNDS (20), SMP (1), EXTRA (more vireo/QEMU options), APPEND (kernel command line).
VIREO_BIN=qemu-system-x86_64 runs the same guest under QEMU."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vireo_guest import Guest  # noqa: E402

COMMANDS = [
    "dd if=/dev/zero of=/dev/vda bs=64k count=512 oflag=direct",
    "dd if=/dev/vda of=/dev/null bs=4k count=4096 iflag=direct",
    "head -c 30000 /proc/kallsyms",
]


def dump_threads(pid):
    for tid in sorted(os.listdir(f"/proc/{pid}/task")):
        stat = open(f"/proc/{pid}/task/{tid}/stat").read().split()
        comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
        print(f"thread {tid} {comm} state {stat[2]} utime {stat[13]} stime {stat[14]}")


def dump_kvm_trace():
    tracing = "/sys/kernel/tracing"
    subprocess.run(["mount", "-t", "tracefs", "nodev", tracing], capture_output=True)
    try:
        with open(f"{tracing}/events/kvm/enable", "w") as f:
            f.write("1")
        time.sleep(0.5)
        with open(f"{tracing}/events/kvm/enable", "w") as f:
            f.write("0")
        trace = open(f"{tracing}/trace").read()
        print(f"kvm trace: {trace.count(chr(10))} lines; the last ones:\n{trace[-3000:]}")
    except OSError as error:
        print(f"no kvm trace: {error}")


def main():
    workdir = tempfile.mkdtemp()
    image = os.path.join(workdir, "disk.raw")
    subprocess.run(["truncate", "-s", "256M", image], check=True)
    guest = Guest("-drive", f"file={image},format=raw,if=virtio", *os.environ.get("EXTRA", "").split(),
                  smp=os.environ.get("SMP", "1"), append=os.environ.get("APPEND", "console=ttyS0 quiet"))
    guest.wait_ready()
    try:
        for round_number in range(int(os.environ.get("ROUNDS", "20"))):
            for command in COMMANDS:
                started = time.monotonic()
                guest.run(command + " 2>&1 | tail -c 200", timeout=60)
                print(f"round {round_number}: {command[:40]} {time.monotonic() - started:.2f} s", flush=True)
        print("no stall")
    except AssertionError as error:
        print(f"STALL: {str(error)[-800:]}")
        dump_threads(guest.proc.pid)
        dump_kvm_trace()
        return 1
    finally:
        guest.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
