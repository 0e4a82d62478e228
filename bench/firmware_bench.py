#!/usr/bin/env python3
"""Firmware-boot benchmark (issue 9): vireo against qemu-system-x86_64 -enable-kvm -M pc -cpu host,
both with SeaBIOS (/usr/share/seabios/bios-256k.bin: QEMU's default, vireo's too), booting the same
MBR disk image with extlinux (scripts/make-boot-images.sh) to the guest's init. Run where /dev/kvm is
real KVM (bench/firmware_bench.sh takes care of the nested test host). Runs interleaved.

  firmware_bench.py boot [--runs N] [--cases ide,virtio]   boot times and KVM exit counters
  firmware_bench.py ide-io [--runs N] [--runtime S]        fio in the guest against an IDE disk
  firmware_bench.py report FILE...                         markdown tables from the FWBENCH-JSON lines

boot: both VMMs with `-m 256 -nographic -nic none` and the image as
`-drive file=IMG,format=raw,if=ide|virtio,snapshot=on`; the kernel command line comes from the image's
extlinux.conf (console=ttyS0 quiet). Per run, the time from launch to the first console output of the
firmware ("SeaBIOS"), of the boot loader ("SYSLINUX"/"EXTLINUX" banner, or its menu line
"vireo-boot: syslinux menu"), of the guest's init ("vireo-guest: init started") and to
"vireo-guest: ready"; then the VMM is killed. At "ready", KVM's counters for the VM (debugfs,
/sys/kernel/debug/kvm/PID-FD: exits by kind, summed over the vCPUs) and the VMM's CPU time are logged.

ide-io: the firmware guest has no fio, so this part boots the benchmark initramfs
(bench/make_bench_initrd.sh: the default guest plus fio) with -kernel, and puts a 256 MiB raw image on
IDE (`-m 512`, `-drive file=X,format=raw,if=ide`, the default cache mode: the image is on the test host's tmpfs,
where O_DIRECT is not available) and the job script on a small virtio disk (bench.job=script). fio in
the guest: libaio, O_DIRECT on /dev/sda, 4 KiB random read at QD1 and QD32, 1 MiB sequential read at
QD32 (ata_piix has no NCQ: libata sends one command at a time whatever the queue depth).

Environment: VIREO_BIN, VIREO_CACHE (as for the other benchmarks), BENCH_INITRD (for ide-io),
BENCH_VERBOSE=1 (echo the guests' consoles to stderr)."""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("VIREO_CACHE", os.path.join(HERE, "../.cache"))
IMAGE = os.path.join(CACHE, "boot/extlinux.raw")
KERNEL = os.path.join(CACHE, "guest/vmlinuz")
INITRD = os.environ.get("BENCH_INITRD", os.path.join(CACHE, "bench/io-initrd.cpio"))
VIREO = os.environ.get("VIREO_BIN", os.path.join(HERE, "../build/vireo"))
VERBOSE = os.environ.get("BENCH_VERBOSE") == "1"
TICK = os.sysconf("SC_CLK_TCK")
KVM_DEBUGFS = "/sys/kernel/debug/kvm"
VMMS = ["vireo", "qemu"]
COMMON = ["-enable-kvm", "-M", "pc", "-cpu", "host", "-nographic", "-nic", "none"]
# Console milestones, in the order they appear (matched on the console with terminal escapes removed)
MARKS = [
    ("firmware", re.compile(r"SeaBIOS")),
    ("loader", re.compile(r"SYSLINUX|EXTLINUX|vireo-boot: syslinux menu")),
    ("menu", re.compile(r"vireo-boot: syslinux menu")),
    ("init", re.compile(r"vireo-guest: init started")),
    ("ready", re.compile(r"vireo-guest: ready")),
]
MARK_LABELS = {"firmware": "launch to firmware's first output (SeaBIOS)",
               "loader": "launch to boot loader's first output (SYSLINUX)",
               "init": "launch to init's first line",
               "ready": "launch to init ready (vireo-guest: ready)"}
CASE_LABELS = {"ide": "IDE (-drive if=ide)", "virtio": "virtio-blk (-drive if=virtio)"}
# KVM's debugfs counters worth a column (the others are logged in the JSON lines)
EXIT_KINDS = ["exits", "io_exits", "mmio_exits", "halt_exits", "irq_exits", "irq_window_exits",
              "pf_fixed", "insn_emulation"]
IO_JOBS = [("randread-qd1", "randread", "4k", 1, "4 KiB random read, QD1"),
           ("randread-qd32", "randread", "4k", 32, "4 KiB random read, QD32"),
           ("seqread", "read", "1M", 32, "1 MiB sequential read, QD32")]


def log(message):
    print(f"# {message}", file=sys.stderr, flush=True)


def plain(text):
    """The console without terminal escapes (SeaBIOS's serial console moves the cursor mid-text)."""
    return re.sub(r"\x1b(\[[0-9;?]*[A-Za-z]|c)", "", text)


def kvm_stats(pid):
    """KVM's counters for the VM of process pid (debugfs: one directory per VM, named PID-FD, whose
    files sum the vCPUs' counters), or {} where debugfs is not there."""
    try:
        dirs = [d for d in os.listdir(KVM_DEBUGFS) if d.startswith(f"{pid}-")]
    except OSError:
        return {}
    stats = {}
    for d in dirs:
        base = os.path.join(KVM_DEBUGFS, d)
        for name in os.listdir(base):
            try:
                with open(os.path.join(base, name)) as f:
                    stats[name] = stats.get(name, 0) + int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    return stats


def cpu_seconds(pid):
    """(utime + stime, guest_time) of every thread of pid, in seconds (proc(5) fields 14, 15, 43)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK, int(fields[40]) / TICK
    except (OSError, IndexError, ValueError):
        return None, None


def binary(vmm):
    return VIREO if vmm == "vireo" else "qemu-system-x86_64"


def boot_once(vmm, case, timeout):
    """One firmware boot to "ready"; returns {mark: seconds from launch, ...} or None."""
    drive = f"file={IMAGE},format=raw,if={'ide' if case == 'ide' else 'virtio'},snapshot=on"
    command = [binary(vmm), *COMMON, "-m", "256", "-drive", drive]
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    errors = []
    threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True).start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    raw, seen, result = "", {}, None
    try:
        fd = proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            now = time.monotonic() - start
            text = chunk.decode(errors="replace")
            if VERBOSE:
                log(f"[{vmm} {case} {now:6.1f}] {text!r}")
            raw += text
            console = plain(raw)
            for name, pattern in MARKS:
                if name not in seen and pattern.search(console):
                    seen[name] = now
            if "ready" in seen:
                cpu, guest = cpu_seconds(proc.pid)
                kvm = {k: v for k, v in kvm_stats(proc.pid).items() if v}
                result = {"vmm": vmm, "case": case, "marks": seen, "kvm": kvm,
                          "vmm_cpu": cpu, "vmm_guest_cpu": guest}
                break
    finally:
        timer.cancel()
        proc.kill()
        proc.wait()
    if result is None:
        log(f"{vmm} {case}: no 'vireo-guest: ready' (exit {proc.returncode}, seen {seen}); console tail: "
            f"{plain(raw)[-1500:]!r}; stderr: {b''.join(errors).decode(errors='replace')[-1000:]}")
    return result


def bench_boot(args):
    cases = args.cases.split(",")
    for run in range(args.runs):  # interleaved, so drift in the test host hits both VMMs alike
        for case in cases:
            for vmm in args.vmms.split(","):
                row = boot_once(vmm, case, args.timeout)
                if row:
                    row["run"] = run
                    print("FWBENCH-JSON " + json.dumps(row), flush=True)
                    log(f"run {run} {case} {vmm}: " + ", ".join(f"{k} {v:.2f} s" for k, v in row["marks"].items())
                        + f"; exits {row['kvm'].get('exits', '?')}")


def io_script(runtime):
    """The guest's job script (run by bench/io_bench_init.sh's "script" job): each fio job's JSON
    between FIO-BEGIN/FIO-END lines (in the output printed after the script), and FIO-RUN/FIO-DONE
    on the console as each job starts and ends, where the host samples KVM's counters."""
    lines = ["i=0; while [ ! -e /dev/sda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done"]
    for name, rw, bs, depth, _ in IO_JOBS:
        lines += [f"echo FIO-BEGIN {name}", f"echo FIO-RUN {name} > /dev/console",
                  f"fio --name={name} --filename=/dev/sda --rw={rw} --bs={bs} --ioengine=libaio --direct=1 "
                  f"--iodepth={depth} --numjobs=1 --time_based --runtime={runtime} --randrepeat=0 --norandommap "
                  f"--output-format=json",
                  f"echo FIO-DONE {name} > /dev/console", f"echo FIO-END {name}"]
    return "\n".join(lines) + "\n"


def io_once(vmm, disk, script, timeout):
    # 512 MiB: the 90 MB uncompressed initramfs does not unpack into 256
    command = [binary(vmm), *COMMON, "-m", "512", "-kernel", KERNEL, "-initrd", INITRD,
               "-append", "console=ttyS0 quiet bench.job=script bench.script=/dev/vda", "-no-reboot",
               "-drive", f"file={disk},format=raw,if=ide",
               "-drive", f"file={script},format=raw,if=virtio,readonly=on"]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    errors = []
    threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True).start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    out, current, body, tail = {}, None, [], []
    counters0, counters1 = {}, {}  # KVM's counters at each job's start and end
    cpu0 = cpu1 = None
    try:
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n")
            tail = (tail + [line])[-30:]
            if VERBOSE:
                log(f"[{vmm} io] {line}")
            if m := re.search(r"FIO-RUN (\S+)", line):
                counters0[m.group(1)] = kvm_stats(proc.pid)
            elif m := re.search(r"FIO-DONE (\S+)", line):
                counters1[m.group(1)] = kvm_stats(proc.pid)
            elif m := re.search(r"FIO-BEGIN (\S+)", line):
                current, body = m.group(1), []
            elif current and f"FIO-END {current}" in line:
                text = "\n".join(body)
                try:
                    job = json.loads(text[text.index("{"):])["jobs"][0]["read"]
                    before, after = counters0.get(current, {}), counters1.get(current, {})
                    out[current] = {"bw": job["bw_bytes"], "iops": job["iops"], "ios": job["total_ios"],
                                    "kvm": {k: after[k] - before.get(k, 0) for k in after}}
                except (ValueError, KeyError, IndexError) as e:
                    log(f"{vmm} io {current}: cannot parse fio's output ({e}): {text[-500:]}")
                current = None
            elif current:
                body.append(line)
            if "BENCH-START script" in line:
                cpu0 = cpu_seconds(proc.pid)
            elif "BENCH-STOP script" in line:
                cpu1 = cpu_seconds(proc.pid)
    finally:
        timer.cancel()
        proc.wait()
    if len(out) != len(IO_JOBS):
        log(f"{vmm} io: run incomplete (exit {proc.returncode}); console tail:\n" + "\n".join(tail)
            + "\nstderr: " + b"".join(errors).decode(errors="replace")[-1000:])
    if cpu0 and cpu1 and cpu0[0] is not None and cpu1[0] is not None:
        out["vmm_cpu"] = cpu1[0] - cpu0[0]
    return out


def bench_ide_io(args):
    work = tempfile.mkdtemp(prefix="fwbench-")
    disk, script = os.path.join(work, "disk.raw"), os.path.join(work, "script.img")
    # every block written (not a sparse file): reads come from the test host's page cache (tmpfs)
    subprocess.run(["dd", "if=/dev/urandom", f"of={disk}", "bs=1M", "count=256", "status=none"], check=True)
    text = io_script(args.runtime).encode()
    with open(script, "wb") as f:
        f.write(text + b"\0" * (-len(text) % 4096 + 4096))
    try:
        for run in range(args.runs):
            for vmm in args.vmms.split(","):
                result = io_once(vmm, disk, script, args.timeout)
                for name, *_ in IO_JOBS:
                    if name in result:
                        row = {"vmm": vmm, "case": "ide-io", "job": name, "run": run, **result[name],
                               "vmm_cpu_all_jobs": result.get("vmm_cpu")}
                        print("FWBENCH-JSON " + json.dumps(row), flush=True)
                log(f"run {run} ide-io {vmm}: " + ", ".join(
                    f"{n} {result[n]['iops']:.0f} IOPS {result[n]['bw'] / 2**20:.1f} MiB/s"
                    for n, *_ in IO_JOBS if n in result))
    finally:
        for path in (disk, script):
            os.unlink(path)
        os.rmdir(work)


def ratio(v, q):
    return f"{v / q:.2f}x" if v is not None and q else ""


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=2):
    return "" if value is None else f"{value:.{digits}f}"


def report(rows):
    out = []
    boots = [r for r in rows if r["case"] in CASE_LABELS]
    if boots:
        out += ["| case | vireo median (s) | QEMU median (s) | vireo/QEMU | runs (vireo, QEMU) |", "|---|---|---|---|---|"]
        for case in CASE_LABELS:
            for mark in MARK_LABELS:
                per = {vmm: [r["marks"].get(mark) for r in boots if r["case"] == case and r["vmm"] == vmm]
                       for vmm in VMMS}
                if not any(per.values()):
                    continue
                v, q = med(per["vireo"]), med(per["qemu"])
                bold = "**" if mark == "ready" else ""
                out.append(f"| {CASE_LABELS[case]}: {MARK_LABELS[mark]} | {fmt(v)} | {fmt(q)} | {bold}{ratio(v, q)}{bold} "
                           f"| {len([x for x in per['vireo'] if x is not None])}, {len([x for x in per['qemu'] if x is not None])} |")
        out += ["", "KVM exit counters from launch to \"ready\" (debugfs, medians), and the VMM's CPU time:", "",
                "| case | VMM | " + " | ".join(EXIT_KINDS) + " | VMM CPU (s) | of it in guest mode (s) |",
                "|---|---|" + "---|" * (len(EXIT_KINDS) + 2)]
        for case in CASE_LABELS:
            for vmm in VMMS:
                sel = [r for r in boots if r["case"] == case and r["vmm"] == vmm]
                if not sel:
                    continue
                cells = [fmt(med([r["kvm"].get(k, 0) for r in sel]), 0) for k in EXIT_KINDS]
                out.append(f"| {case} | {vmm} | " + " | ".join(cells) +
                           f" | {fmt(med([r.get('vmm_cpu') for r in sel]))} | {fmt(med([r.get('vmm_guest_cpu') for r in sel]))} |")
    ios = [r for r in rows if r["case"] == "ide-io"]
    if ios:
        out += ["", "| IDE, fio in the guest on /dev/sda | vireo | QEMU | vireo/QEMU | runs (vireo, QEMU) |",
                "|---|---|---|---|---|"]
        for name, _, _, _, label in IO_JOBS:
            per = {vmm: [r for r in ios if r["job"] == name and r["vmm"] == vmm] for vmm in VMMS}
            if name.startswith("seq"):
                v, q = (med([r["bw"] / 2**20 for r in per[x]]) for x in VMMS)
                unit = "MiB/s"
            else:
                v, q = (med([r["iops"] for r in per[x]]) for x in VMMS)
                unit = "IOPS"
            out.append(f"| {label} | {fmt(v, 1 if unit == 'MiB/s' else 0)} {unit} | {fmt(q, 1 if unit == 'MiB/s' else 0)} {unit} "
                       f"| **{ratio(v, q)}** | {len(per['vireo'])}, {len(per['qemu'])} |")
        out += ["", "KVM exits per I/O during each fio job (debugfs counters over fio's total_ios, medians):", "",
                "| job | VMM | " + " | ".join(EXIT_KINDS) + " |", "|---|---|" + "---|" * len(EXIT_KINDS)]
        for name, *_ in IO_JOBS:
            for vmm in VMMS:
                sel = [r for r in ios if r["job"] == name and r["vmm"] == vmm and r.get("kvm") and r.get("ios")]
                if sel:
                    cells = [fmt(med([r["kvm"].get(k, 0) / r["ios"] for r in sel]), 1) for k in EXIT_KINDS]
                    out.append(f"| {name} | {vmm} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["boot", "ide-io", "report"])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    parser.add_argument("--cases", default="ide,virtio")
    parser.add_argument("--vmms", default="vireo,qemu")
    parser.add_argument("--runtime", type=int, default=5, help="seconds per fio job (ide-io)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per guest run")
    args = parser.parse_args()
    if args.mode == "report":
        rows = []
        for name in args.files:
            with open(name) as f:
                rows += [json.loads(line.split("FWBENCH-JSON ", 1)[1]) for line in f if "FWBENCH-JSON " in line]
        print(report(rows))
        return
    if not os.path.isdir(KVM_DEBUGFS):
        subprocess.run(["mount", "-t", "debugfs", "debugfs", "/sys/kernel/debug"], capture_output=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.mode == "boot":
        bench_boot(args)
    else:
        bench_ide_io(args)


if __name__ == "__main__":
    main()
