#!/usr/bin/env python3
"""qcow2 benchmark: vireo against qemu-system-x86_64 -M pc (both -enable-kvm -cpu host -m 512 -smp 2) with
fio in the benchmark guest (bench/make_bench_initrd.sh, bench/io_bench_init.sh), runs interleaved.

  qcow2_bench.py run SCENARIO [--runs N] [--runtime S]   one scenario; prints QCOW2BENCH-JSON lines
  qcow2_bench.py report [--doc FILE] LOG...              markdown table of medians (and the doc section)

Scenarios (each VMM gets its own copy of every image it writes, made afresh for every run):
  fresh    4 KiB random writes on a fresh 4 GiB qcow2 (nearly every write allocates a cluster)
  filled   4 KiB random reads and 1 MiB sequential reads on a 256 MiB qcow2 whose clusters all hold data
  overlay  the same two reads, then 4 KiB random writes (copy-on-write from the backing file), on an
           overlay over the filled image
fio: libaio, O_DIRECT, queue depth 32, time-based (bench/io_bench_init.sh). Default qcow2 options
(64 KiB clusters). Disk: -drive file=X,format=qcow2,if=none,id=d0,cache=none,aio=io_uring
-device virtio-blk-pci,drive=d0, on ext4 over a loop device where /tmp has no O_DIRECT (as io_bench).

Environment: VIREO_BIN, VIREO_CACHE, BENCH_INITRD (made by qcow2_bench.sh)."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import io_bench  # noqa: E402  (the benchmark guest's runner, shared with the virtio-blk/net benchmark)
from io_bench import log, parsed_jobs, run_guest, sh, vmm_command  # noqa: E402

SCENARIOS = {
    "fresh": ["fio-randwrite"],
    "filled": ["fio-randread", "fio-seqread"],
    "overlay": ["fio-randread", "fio-seqread", "fio-randwrite"],
}
LABELS = {
    ("fresh", "fio-randwrite"): "fresh image: 4 KiB random write (allocating)",
    ("filled", "fio-randread"): "filled image: 4 KiB random read",
    ("filled", "fio-seqread"): "filled image: 1 MiB sequential read",
    ("overlay", "fio-randread"): "overlay over backing: 4 KiB random read",
    ("overlay", "fio-seqread"): "overlay over backing: 1 MiB sequential read",
    ("overlay", "fio-randwrite"): "overlay over backing: 4 KiB random write (COW)",
}
FRESH_SIZE = "4G"
FILLED_MB = 256


def qemu_img(*args):
    sh("qemu-img", *args)


def make_filled(path):
    """A qcow2 whose every cluster is allocated and holds non-zero data."""
    qemu_img("create", "-q", "-f", "qcow2", path, f"{FILLED_MB}M")
    sh("qemu-io", "-f", "qcow2", "-c", f"write -q -P 0x5a 0 {FILLED_MB}M", path)


def bench(args, vmms):
    # The fresh image grows by a 64 KiB cluster per allocating write: give the file system room.
    io_bench.IMAGE_MB = 3072
    images = io_bench.ImageDir()
    cache = "none" if "writeback" not in images.where else "writeback"
    log(f"images in {images.where}")
    jobs = SCENARIOS[args.scenario]
    append = f"console=ttyS0 quiet bench.job={','.join(jobs)} bench.runtime={args.runtime}"
    rows = []
    try:
        base = os.path.join(images.path, "filled.qcow2")
        if args.scenario in ("filled", "overlay"):
            make_filled(base)
            sh("sync")
        for run in range(args.runs):
            for vmm in vmms:
                disk = os.path.join(images.path, f"{vmm}-{run}.qcow2")
                if args.scenario == "fresh":
                    qemu_img("create", "-q", "-f", "qcow2", disk, FRESH_SIZE)
                elif args.scenario == "filled":
                    disk = base  # only read
                else:
                    qemu_img("create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", disk)
                devices = ["-drive", f"file={disk},format=qcow2,if=none,id=d0,cache={cache},aio=io_uring",
                           "-device", "virtio-blk-pci,drive=d0", "-nic", "none"]
                started = time.monotonic()
                results = run_guest(vmm_command(vmm, append, devices), jobs, args.timeout)
                log(f"{vmm} run {run}: {time.monotonic() - started:.1f} s")
                check = subprocess.run(["qemu-img", "check", "-q", disk], capture_output=True, text=True)
                if check.returncode != 0:
                    log(f"{vmm} run {run}: qemu-img check exit {check.returncode}: {check.stdout}{check.stderr}")
                for job, _, m in parsed_jobs(results, jobs, vmm, run):
                    row = {"scenario": args.scenario, "job": job, "vmm": vmm, "run": run, "cache": cache,
                           "bw": m["bw"], "iops": m["iops"], "check": check.returncode}
                    print("QCOW2BENCH-JSON " + json.dumps(row), flush=True)
                    rows.append(row)
                if disk != base:
                    os.unlink(disk)
    finally:
        images.close()
    return rows


def table(rows):
    out = ["| test | vireo | QEMU | vireo/QEMU | runs (vireo, QEMU) |", "|---|---|---|---|---|"]
    for (scenario, job), label in LABELS.items():
        med, count = {}, {}
        for vmm in ("vireo", "qemu"):
            rs = [r for r in rows if r["scenario"] == scenario and r["job"] == job and r["vmm"] == vmm]
            count[vmm] = len(rs)
            if rs:
                med[vmm] = statistics.median(r["bw"] if job == "fio-seqread" else r["iops"] for r in rs)
        if not med:
            continue
        unit = (lambda v: f"{v / 2**20:.0f} MiB/s") if job == "fio-seqread" else (lambda v: f"{v:.0f} IOPS")
        cells = [unit(med[v]) if v in med else "failed" for v in ("vireo", "qemu")]
        ratio = f"{med['vireo'] / med['qemu']:.2f}" if len(med) == 2 and med["qemu"] else ""
        out.append(f"| {label} | {cells[0]} | {cells[1]} | {ratio} | {count['vireo']}, {count['qemu']} |")
    return "\n".join(out)


def update_doc(path, text):
    """Replaces the "## qcow2" section of path (up to the next "## " heading), or appends it."""
    old = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    section = "## qcow2\n\n" + text.strip() + "\n"
    match = re.search(r"^## qcow2\n.*?(?=^## |\Z)", old, flags=re.S | re.M)
    if match:
        new = old[:match.start()] + section + ("\n" if match.end() < len(old) else "") + old[match.end():]
    else:
        new = old.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(new)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["run", "report"])
    parser.add_argument("names", nargs="*", help="run: the scenario; report: log files")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runtime", type=int, default=4, help="seconds per fio job")
    parser.add_argument("--vmms", default="vireo,qemu")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per guest run")
    parser.add_argument("--doc", help="report: also write the table into this file's '## qcow2' section")
    parser.add_argument("--note", default="", help="report: text put before the table in the doc")
    args = parser.parse_intermixed_args()
    if args.mode == "report":
        rows = []
        for name in args.names:
            with open(name) as f:
                rows += [json.loads(line.split("QCOW2BENCH-JSON ", 1)[1]) for line in f if "QCOW2BENCH-JSON " in line]
        text = table(rows)
        modes = sorted({r["cache"] for r in rows})
        if modes != ["none"]:
            text += f"\n\nDisk cache mode in these runs: {', '.join(f'cache={m}' for m in modes)}."
        print(text)
        if args.doc:
            update_doc(args.doc, (args.note + "\n\n" if args.note else "") + text)
        return
    if len(args.names) != 1 or args.names[0] not in SCENARIOS:
        parser.error(f"run needs one scenario of {', '.join(SCENARIOS)}")
    args.scenario = args.names[0]
    rows = bench(args, args.vmms.split(","))
    print(table(rows), flush=True)


if __name__ == "__main__":
    main()
