#!/usr/bin/env python3
"""Boot benchmark: vireo against qemu-system-x86_64 (-M pc and -M microvm) on the same kernel,
initramfs and command line (256 MiB, 1 vCPU). Run where /dev/kvm is real KVM (bench/boot_bench.sh
takes care of the nested test host). Prints a markdown table of medians.

Per run: time from launch to the init's first line, time from launch to exit after the guest
powers off, peak RSS (wait4), and the VMM's own memory = RSS minus the guest-RAM mappings' RSS,
sampled while the guest is up."""
import os
import re
import statistics
import subprocess
import sys
import time

CACHE = os.environ.get("VIREO_CACHE", os.path.join(os.path.dirname(__file__), "../.cache"))
KERNEL = os.path.join(CACHE, "guest/vmlinuz")
INITRD = os.path.join(CACHE, "guest/initrd.gz")
VIREO = os.environ.get("VIREO_BIN", os.path.join(os.path.dirname(__file__), "../build/vireo"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
MEM_MB = 256
APPEND = "console=ttyS0 quiet vireo.poweroff"
COMMON = ["-m", str(MEM_MB), "-smp", "1", "-kernel", KERNEL, "-initrd", INITRD, "-append", APPEND,
          "-nographic", "-no-reboot"]
VMMS = {
    "vireo": [VIREO, "-enable-kvm", *COMMON, "-nic", "none"],
    "vireo -sandbox off": [VIREO, "-sandbox", "off", "-enable-kvm", *COMMON, "-nic", "none"],
    "qemu -M pc": ["qemu-system-x86_64", "-enable-kvm", "-cpu", "host", "-M", "pc", *COMMON, "-nic", "none"],
    "qemu -M microvm": ["qemu-system-x86_64", "-enable-kvm", "-cpu", "host", "-M", "microvm", *COMMON, "-nic", "none"],
}


def guest_ram_rss_kib(pid):
    """RSS of the mappings that hold guest RAM (the largest ones, at least the guest's size)."""
    mappings, current = [], None
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                start, end = (int(x, 16) for x in line.split()[0].split("-"))
                current = {"size": end - start, "rss": 0}
                mappings.append(current)
            elif line.startswith("Rss:") and current is not None:
                current["rss"] = int(line.split()[1])
    guest = [m for m in mappings if m["size"] >= 64 << 20]
    return sum(m["rss"] for m in guest)


def total_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def one_run(command):
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    buffer, first_line, own = b"", None, None
    os.set_blocking(proc.stdout.fileno(), True)
    while True:
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        buffer += chunk
        if first_line is None and b"vireo-guest: init started" in buffer:
            first_line = time.monotonic() - start
            try:
                own = total_rss_kib(proc.pid) - guest_ram_rss_kib(proc.pid)
            except OSError:
                own = None
    _, status, usage = os.wait4(proc.pid, 0)
    exited = time.monotonic() - start
    ok = first_line is not None and os.waitstatus_to_exitcode(status) == 0
    return ok, first_line, exited, usage.ru_maxrss, own


def main():
    names = sys.argv[1:] or [name for name in VMMS if name != "vireo -sandbox off"]
    results = {name: [] for name in names}
    for _ in range(RUNS):  # interleaved, so drift in the test host hits every VMM alike
        for name in names:
            ok, first, exited, peak, own = one_run(VMMS[name])
            if ok:
                results[name].append((first, exited, peak, own))
            else:
                print(f"# {name}: a run failed", file=sys.stderr)
    print(f"| VMM | runs | launch to init (s) | launch to exit after poweroff (s) | peak RSS (MiB) | VMM's own memory (MiB) |")
    print("|---|---|---|---|---|---|")
    medians = {}
    for name in names:
        rows = results[name]
        if not rows:
            print(f"| {name} | 0 | failed | | | |")
            continue
        med = [statistics.median(r[i] for r in rows if r[i] is not None) for i in range(4)]
        medians[name] = med
        print(f"| {name} | {len(rows)} | {med[0]:.2f} | {med[1]:.2f} | {med[2] / 1024:.1f} | {med[3] / 1024:.1f} |")
    if "vireo" in medians:
        if "vireo -sandbox off" in medians:
            off = medians["vireo -sandbox off"]
            print(f"\nsandbox on/off: time to init {medians['vireo'][0] / off[0]:.2f}x; "
                  f"time to exit {medians['vireo'][1] / off[1]:.2f}x; peak RSS {medians['vireo'][2] / off[2]:.2f}x")
        others = [n for n in medians if not n.startswith("vireo")]
        if others:
            best = min(others, key=lambda n: medians[n][0])
            print(f"\nvireo / best QEMU ({best}) time to init: {medians['vireo'][0] / medians[best][0]:.2f}x; "
                  f"time to exit: {medians['vireo'][1] / medians[best][1]:.2f}x; "
                  f"peak RSS: {medians['vireo'][2] / medians[best][2]:.2f}x")


if __name__ == "__main__":
    main()
