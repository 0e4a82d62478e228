#!/usr/bin/env python3
"""I/O benchmark: vireo against qemu-system-x86_64 -M pc (both -enable-kvm -cpu host -m 512 -smp 2) on the
same kernel and benchmark initramfs (bench/make_bench_initrd.sh), runs interleaved.

  io_bench.py blk [--runs N] [--runtime S] [--jobs a,b]   fio in the guest against /dev/vda
  io_bench.py net [--runs N] [--runtime S] [--jobs a,b]   iperf3 between the guest and a tap in a namespace
  io_bench.py netuser [--runs N] [--runtime S]            iperf3 between the guest and the host's loopback
                                                          through user-mode networking (slirp)
  io_bench.py report FILE...                              one markdown table from the IOBENCH-JSON lines

blk: each VMM gets its own copy of one raw image, on a file system that supports O_DIRECT (cache=none):
/tmp if it does, else an ext4 file system loop-mounted from a file in /tmp; if neither works, both VMMs
use cache=writeback (the table says so). Disk: -drive file=X,format=raw,if=none,id=d0,cache=none,aio=io_uring
-device virtio-blk-pci,drive=d0.
net: a network namespace made here holds tap0 (192.168.77.1) and `iperf3 -s`; the VMM runs inside the
namespace with -netdev tap,ifname=tap0 -device virtio-net-pci; the guest (192.168.77.2) is the iperf3
client (iperf3-tx: guest -> host, iperf3-rx: -R, host -> guest). No traffic leaves the namespace.
netuser: the same with -netdev user: `iperf3 -s` listens on the namespace's loopback, which the
guest (10.0.2.15) reaches as 10.0.2.2 through the VMM's slirp.

Per job and run: throughput (fio bandwidth and IOPS, iperf3 bits/s), the VMM process's CPU time
(utime+stime of all its threads from /proc/PID/stat, sampled when the guest prints BENCH-START and
BENCH-STOP) per GB moved, the same without the time its vCPUs spent in guest mode (guest_time), and the
guest's CPU as fio (usr+sys %) or iperf3 (client total %) report it. Prints one IOBENCH-JSON line per
run for `report`, and a table of medians.

Environment: VIREO_BIN, VIREO_CACHE (as for the other benchmarks), VIREO_BASE_BIN (the binary the
VMM "vireo-base" runs: another build of vireo to compare with, in --vmms), BENCH_INITRD (made by io_bench.sh),
BENCH_VERBOSE=1 (echo the guests' consoles), BENCH_PERF=1 (log a perf profile of the VMM per job: it
slows the VMM down), BENCH_KVM_STATS=1 (log KVM's exit counters per job and GB,
from debugfs, and the context switches of the VMM's threads per GB: to see where a VMM's time goes)."""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("VIREO_CACHE", os.path.join(HERE, "../.cache"))
KERNEL = os.path.join(CACHE, "guest/vmlinuz")
INITRD = os.environ.get("BENCH_INITRD", os.path.join(CACHE, "bench/io-initrd.cpio"))
VIREO = os.environ.get("VIREO_BIN", os.path.join(HERE, "../build/vireo"))
TICK = os.sysconf("SC_CLK_TCK")
T0 = time.monotonic()
VERBOSE = os.environ.get("BENCH_VERBOSE") == "1"  # echo the guests' consoles to stderr
KVM_STATS = os.environ.get("BENCH_KVM_STATS") == "1"  # log KVM's exit counters per job (debugfs)
PERF = os.environ.get("BENCH_PERF") == "1"  # log a perf (cpu-clock) profile of the VMM per job
IMAGE_MB = 512
GUEST_IP, HOST_IP = "192.168.77.2", "192.168.77.1"
BLK_JOBS = ["fio-randread", "fio-randwrite", "fio-seqread", "fio-seqwrite"]
NET_JOBS = ["iperf3-tx", "iperf3-rx"]
NET_USER_JOBS = ["user-iperf3-tx", "user-iperf3-rx"]  # the same jobs, through slirp
LABELS = {
    "user-iperf3-tx": "TCP guest -> host through slirp (iperf3)",
    "user-iperf3-rx": "TCP host -> guest through slirp (iperf3 -R)",
    "fio-randread": "4 KiB random read, QD32", "fio-randwrite": "4 KiB random write, QD32",
    "fio-seqread": "1 MiB sequential read, QD32", "fio-seqwrite": "1 MiB sequential write, QD32",
    "iperf3-tx": "TCP guest -> host (iperf3)", "iperf3-rx": "TCP host -> guest (iperf3 -R)",
}


def log(message):
    print(f"# {message}", file=sys.stderr, flush=True)


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def cpu_ticks(pid):
    """(utime + stime, guest_time) of every thread of pid, in clock ticks (proc(5) fields 14, 15, 43)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state)
    return int(fields[11]) + int(fields[12]), int(fields[40])


KVM_DEBUGFS = "/sys/kernel/debug/kvm"


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


def thread_switches(pid):
    """{thread name: [threads, voluntary, involuntary context switches]} over the threads of pid
    (/proc/PID/task/*/status): how often each kind of thread slept and woke, or was preempted."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                fields = dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)
            name = fields["Name"].strip()
            entry = out.setdefault(name, [0, 0, 0])
            entry[0] += 1
            entry[1] += int(fields["voluntary_ctxt_switches"])
            entry[2] += int(fields["nonvoluntary_ctxt_switches"])
        except (OSError, KeyError, ValueError):
            pass
    return out


def vmm_command(vmm, append, devices):
    common = ["-enable-kvm", "-cpu", "host", "-M", "pc", "-m", "512", "-smp", "2", "-kernel", KERNEL,
              "-initrd", INITRD, "-append", append, "-nographic", "-no-reboot"]
    # vireo-nosandbox: the seccomp filters' cost (issue 12, bench/sandbox_bench.sh); vireo-noprof:
    # the same vireo with its exit profiler off (bench/qmp_bench.sh measures its cost); env execs
    # vireo, so the pid whose CPU time is sampled is vireo's.
    binary = {"vireo": [VIREO], "vireo-base": [os.environ.get("VIREO_BASE_BIN", VIREO)],
              "vireo-nosandbox": [VIREO, "-sandbox", "off"],
              "vireo-noprof": ["env", "VIREO_EXIT_PROFILER=off", VIREO]}.get(vmm, ["qemu-system-x86_64"])
    return [*binary, *common, *devices]


def run_guest(command, jobs, timeout):
    """Boots, samples CPU at the job markers, collects each job's output. Returns {job: {...}}."""
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    errors = []
    threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True).start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    results, current, body, tail = {}, None, None, []
    start_cpu, start_kvm = {}, {}
    perf, perf_data = None, None
    try:
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n")
            tail = (tail + [line])[-40:]
            if VERBOSE:
                log(f"[{time.monotonic() - T0:6.1f}] {line}")
            if m := re.search(r"BENCH-START (\S+)", line):
                start_cpu[m.group(1)] = (cpu_ticks(proc.pid), time.monotonic())
                if KVM_STATS:
                    start_kvm[m.group(1)] = (kvm_stats(proc.pid), thread_switches(proc.pid))
                if PERF:
                    perf_data = f"/tmp/perf-{proc.pid}-{m.group(1)}.data"
                    perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "-p",
                                             str(proc.pid), "-o", perf_data], stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL)
            elif m := re.search(r"BENCH-STOP (\S+) rc=(\d+)", line):
                job = m.group(1)
                (cpu0, guest0), t0 = start_cpu[job]
                cpu1, guest1 = cpu_ticks(proc.pid)
                results[job] = {"rc": int(m.group(2)), "wall": time.monotonic() - t0,
                                "vmm_cpu": (cpu1 - cpu0) / TICK, "vmm_guest": (guest1 - guest0) / TICK}
                if KVM_STATS:
                    (before, switches0), after = start_kvm.get(job, ({}, {})), kvm_stats(proc.pid)
                    results[job]["kvm"] = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
                    switches1 = thread_switches(proc.pid)
                    results[job]["switches"] = {
                        name: [n, vol - switches0.get(name, [0, 0, 0])[1], inv - switches0.get(name, [0, 0, 0])[2]]
                        for name, (n, vol, inv) in switches1.items()}
                if PERF and perf:
                    perf.send_signal(2)
                    perf.wait()
                    report = sh("perf", "report", "-i", perf_data, "--stdio", "--sort", "comm,dso,sym", check=False)
                    lines = [x for x in report.stdout.splitlines() if x.strip() and not x.startswith("#")]
                    log(f"perf profile of {'qemu' if any('qemu' in c for c in command) else 'vireo'} during {job}:\n" + "\n".join(lines[:45]))
                    perf = None
            elif m := re.search(r"BENCH-BEGIN (\S+)", line):
                current, body = m.group(1), []
            elif current and re.search(r"BENCH-END " + re.escape(current), line):
                results[current]["output"] = "\n".join(body)
                current = None
            elif current is not None:
                body.append(line)
    finally:
        timer.cancel()
        proc.wait()
    if any(job not in results or "output" not in results[job] for job in jobs):
        log(f"run failed ({command[0]}): exit {proc.returncode}; console tail:\n" + "\n".join(tail) +
            "\nstderr: " + b"".join(errors).decode(errors="replace")[-2000:])
    return results


def parse_fio(text):
    data = json.loads(text[text.index("{"):])
    job = data["jobs"][0]
    moved = job["read"]["io_bytes"] + job["write"]["io_bytes"]
    iops = job["read"]["iops"] + job["write"]["iops"]
    bw = (job["read"]["bw_bytes"] + job["write"]["bw_bytes"])
    return {"bytes": moved, "bw": bw, "iops": iops, "guest_cpu": job["usr_cpu"] + job["sys_cpu"]}


def parse_iperf(text):
    data = json.loads(text[text.index("{"):])
    end = data["end"]
    received = end["sum_received"]
    return {"bytes": received["bytes"], "bw": received["bits_per_second"] / 8, "iops": None,
            "guest_cpu": end["cpu_utilization_percent"]["host_total"],
            "server_cpu": end["cpu_utilization_percent"]["remote_total"]}


def parsed_jobs(results, jobs, vmm, run):
    """Yields (job, its result from the guest, its parsed figures) for each job that ran and parsed;
    logs the others."""
    for job in jobs:
        r = results.get(job)
        if not r or r["rc"] != 0 or "output" not in r:
            log(f"{vmm} run {run}: {job} failed" + (f": {r.get('output', '')[-500:]}" if r else ""))
            continue
        try:
            m = parse_fio(r["output"]) if job.startswith("fio") else parse_iperf(r["output"])
        except (ValueError, KeyError) as e:
            log(f"{vmm} run {run}: {job}: cannot parse output ({e}): {r['output'][-500:]}")
            continue
        yield job, r, m


def measure(results, jobs, vmm, run, extra, label_prefix=""):
    """One row per job; `label_prefix` names a variant of the jobs in the rows (user- for slirp)."""
    rows = []
    for job, r, m in parsed_jobs(results, jobs, vmm, run):
        gb = m["bytes"] / 1e9
        row = {"vmm": vmm, "job": label_prefix + job, "run": run, **m, **extra,
               "vmm_cpu_s": r["vmm_cpu"], "vmm_cpu_per_gb": r["vmm_cpu"] / gb if gb else None,
               "vmm_cpu_noguest_per_gb": (r["vmm_cpu"] - r["vmm_guest"]) / gb if gb else None}
        if "kvm" in r:
            per_gb = {k: round(v / gb) for k, v in sorted(r["kvm"].items()) if gb and v / gb >= 1}
            log(f"{vmm} run {run} {job}: KVM counters per GB moved: {per_gb}")
        if "switches" in r and gb:
            per_gb = {name: f"{n} threads, {round(vol / gb)} voluntary, {round(inv / gb)} involuntary"
                      for name, (n, vol, inv) in sorted(r["switches"].items()) if vol or inv}
            log(f"{vmm} run {run} {job}: context switches per GB moved, by thread name: {per_gb}")
        print("IOBENCH-JSON " + json.dumps(row), flush=True)
        rows.append(row)
    return rows


def supports_o_direct(directory):
    path = os.path.join(directory, f".odirect-{os.getpid()}")
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_DIRECT, 0o600)
        os.close(fd)
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(path):
            os.unlink(path)


def load_modules(*modules):
    """Where modules are missing (the nested test host loads few), load them from the kernel package."""
    release = os.uname().release
    pkg = os.path.join(CACHE, "pkgs", f"linux-image-{release}")
    for module in modules:
        if os.path.isdir(f"/sys/module/{module}"):
            continue
        if sh("modprobe", module, check=False).returncode != 0 and os.path.isdir(pkg):
            sh("modprobe", "-d", pkg, "-S", release, module, check=False)


class ImageDir:
    """A directory for the images whose file system supports O_DIRECT, or None (then cache=writeback)."""

    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="iobench-", dir="/tmp")
        self.mount = None
        self.path = None
        if supports_o_direct(self.base):
            self.path, self.where = self.base, "/tmp"
            return
        load_modules("loop", "ext4")
        fs = os.path.join(self.base, "fs.ext4")
        mnt = os.path.join(self.base, "mnt")
        os.mkdir(mnt)
        sh("truncate", "-s", f"{2 * IMAGE_MB + 128}M", fs)
        made = sh("mkfs.ext4", "-q", "-F", fs, check=False)
        if made.returncode == 0 and sh("mount", "-o", "loop", fs, mnt, check=False).returncode == 0:
            self.mount = mnt
            if supports_o_direct(mnt):
                self.path, self.where = mnt, "ext4 on a loop device backed by a file in /tmp (tmpfs)"
                return
        log("no file system here supports O_DIRECT: both VMMs use cache=writeback")
        self.path, self.where = self.base, "/tmp (tmpfs), cache=writeback"

    def close(self):
        if self.mount:
            sh("umount", self.mount, check=False)
        shutil.rmtree(self.base, ignore_errors=True)


def bench_blk(args, vmms):
    images = ImageDir()
    cache = "none" if "writeback" not in images.where else "writeback"
    log(f"images in {images.where} ({time.monotonic() - T0:.1f} s)")
    try:
        # one image per VMM, written in full (not sparse: holes would read without any I/O)
        paths = {}
        for vmm in vmms:
            paths[vmm] = os.path.join(images.path, f"{vmm}.raw")
            sh("dd", "if=/dev/zero", f"of={paths[vmm]}", "bs=1M", f"count={IMAGE_MB}", "status=none")
        sh("sync")
        log(f"images written ({time.monotonic() - T0:.1f} s)")
        append = f"console=ttyS0 quiet bench.job={','.join(args.jobs)} bench.runtime={args.runtime}"
        rows = []
        for run in range(args.runs):  # interleaved, so drift in the test host hits every VMM alike
            for vmm in vmms:
                devices = ["-drive", f"file={paths[vmm]},format=raw,if=none,id=d0,cache={cache},aio=io_uring",
                           "-device", "virtio-blk-pci,drive=d0", "-nic", "none"]
                started = time.monotonic()
                results = run_guest(vmm_command(vmm, append, devices), args.jobs, args.timeout)
                log(f"{vmm} run {run}: {time.monotonic() - started:.1f} s")
                rows += measure(results, args.jobs, vmm, run, {"cache": cache})
        return rows
    finally:
        images.close()


def bench_net(args, vmms, user=False):
    load_modules("tun")
    ns = f"iobench-{uuid.uuid4().hex[:8]}"
    sh("ip", "netns", "add", ns)
    ns_exec = ["ip", "netns", "exec", ns]
    server = None
    try:
        sh(*ns_exec, "ip", "link", "set", "lo", "up")
        if user:
            # slirp connects to the host's side of 10.0.2.2: the namespace's loopback
            server_ip, guest_ip, listen_ip = "10.0.2.2", "10.0.2.15", "127.0.0.1"
            netdev = "user,id=n0"
        else:
            sh(*ns_exec, "ip", "tuntap", "add", "tap0", "mode", "tap", "vnet_hdr")
            sh(*ns_exec, "ip", "addr", "add", f"{HOST_IP}/24", "dev", "tap0")
            sh(*ns_exec, "ip", "link", "set", "tap0", "up")
            server_ip, guest_ip, listen_ip = HOST_IP, GUEST_IP, HOST_IP
            netdev = "tap,id=n0,ifname=tap0,script=no,downscript=no"
        server = subprocess.Popen([*ns_exec, "iperf3", "-s", "-B", listen_ip], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        append = (f"console=ttyS0 quiet bench.job={','.join(args.jobs)} bench.runtime={args.runtime} "
                  f"bench.ip={guest_ip}/24 bench.server={server_ip}")
        devices = ["-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56"]
        rows = []
        for run in range(args.runs):
            for vmm in vmms:
                started = time.monotonic()
                # the VMM runs in the namespace (ip netns exec execs it: same pid, /proc/PID/stat is its own)
                results = run_guest([*ns_exec, *vmm_command(vmm, append, devices)], args.jobs, args.timeout)
                log(f"{vmm} run {run}: {time.monotonic() - started:.1f} s")
                rows += measure(results, args.jobs, vmm, run, {"cache": None}, "user-" if user else "")
        return rows
    finally:
        if server:
            server.kill()
            server.wait()
        sh("ip", "netns", "del", ns, check=False)


def fmt(value, digits=1):
    return "" if value is None else f"{value:.{digits}f}"


def table(rows):
    """Markdown table of medians per job and VMM, with vireo/QEMU ratios."""
    jobs = [j for j in BLK_JOBS + NET_JOBS + NET_USER_JOBS if any(r["job"] == j for r in rows)]
    out = ["| test | VMM | runs | throughput | IOPS | VMM CPU s/GB | VMM CPU s/GB w/o guest mode | guest CPU % |",
           "|---|---|---|---|---|---|---|---|"]
    for job in jobs:
        med = {}
        for vmm in ("vireo", "vireo-base", "vireo-nosandbox", "vireo-noprof", "qemu"):
            rs = [r for r in rows if r["job"] == job and r["vmm"] == vmm]
            if not rs:
                continue

            def m(key):
                values = [r[key] for r in rs if r.get(key) is not None]
                return statistics.median(values) if values else None
            med[vmm] = {k: m(k) for k in ("bw", "iops", "vmm_cpu_per_gb", "vmm_cpu_noguest_per_gb", "guest_cpu")}
            d = med[vmm]
            bw = f"{d['bw'] * 8 / 1e9:.2f} Gbit/s" if job.startswith("iperf") else f"{d['bw'] / 2**20:.1f} MiB/s"
            out.append(f"| {LABELS[job]} | {vmm} | {len(rs)} | {bw} | {fmt(d['iops'], 0)} | "
                       f"{fmt(d['vmm_cpu_per_gb'], 2)} | {fmt(d['vmm_cpu_noguest_per_gb'], 2)} | {fmt(d['guest_cpu'])} |")
        for other, label in (("qemu", "vireo/QEMU"), ("vireo-base", "vireo/base"),
                             ("vireo-nosandbox", "sandbox on/off"), ("vireo-noprof", "profiler on/off")):
            if "vireo" not in med or other not in med:
                continue
            v, q = med["vireo"], med[other]

            def ratio(key):
                return f"{v[key] / q[key]:.2f}x" if v[key] is not None and q[key] else ""
            out.append(f"| {LABELS[job]} | **{label}** | | **{ratio('bw')}** | {ratio('iops')} | "
                       f"{ratio('vmm_cpu_per_gb')} | {ratio('vmm_cpu_noguest_per_gb')} | {ratio('guest_cpu')} |")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["blk", "net", "netuser", "report"])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runtime", type=int, default=5, help="seconds per fio/iperf3 job")
    parser.add_argument("--jobs", default=None)
    parser.add_argument("--vmms", default="vireo,qemu")
    parser.add_argument("--timeout", type=int, default=180, help="seconds per guest run")
    args = parser.parse_args()
    if KVM_STATS and not os.path.isdir(KVM_DEBUGFS):
        sh("mount", "-t", "debugfs", "debugfs", "/sys/kernel/debug", check=False)
    if args.mode == "report":
        rows = []
        for name in args.files:
            with open(name) as f:
                rows += [json.loads(line.split("IOBENCH-JSON ", 1)[1]) for line in f if "IOBENCH-JSON " in line]
        print(table(rows))
        return
    args.jobs = args.jobs.split(",") if args.jobs else (BLK_JOBS if args.mode == "blk" else NET_JOBS)
    vmms = args.vmms.split(",")
    rows = bench_blk(args, vmms) if args.mode == "blk" else bench_net(args, vmms, user=args.mode == "netuser")
    print(table(rows), flush=True)


if __name__ == "__main__":
    main()
