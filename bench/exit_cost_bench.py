#!/usr/bin/env python3
"""The exit profiler's cost where it does its work (issue 11): on exits. The default guest prints CHARS
characters to its serial console, each a THR write and status reads, every one an I/O exit that vireo
serves; the host times it between two markers the guest prints (wall time, and the VMM's CPU time less
the guest's, from /proc/PID/stat). vireo with the profiler on, and the same binary with
VIREO_EXIT_PROFILER=off (the vCPU loop's other instantiation: no clock reads, no counts), runs
interleaved. Run where /dev/kvm is real KVM (bench/qmp_bench.sh exits takes care of the nested test host).
Prints one EXITBENCH-JSON line per run and a table of medians; `report LOG...` makes the table again."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from qmp_bench import COMMON, VIREO, json_rows, log  # noqa: E402  (the same guest and command line)

TICK = os.sysconf("SC_CLK_TCK")
# Marks the shell's output builds, so the echo of the typed command does not match them.
BEGIN, END = b"EXIT-2BEGIN", b"EXIT-2END"


def vmm_cpu_seconds(pid):
    """utime + stime - guest_time of every thread (proc(5) fields 14, 15, 43)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12]) - int(fields[40])) / TICK


def one_run(profiler, chars):
    env = dict(os.environ)
    if not profiler:
        env["VIREO_EXIT_PROFILER"] = "off"
    proc = subprocess.Popen([VIREO, *COMMON], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    output = bytearray()
    seen = {}
    done = threading.Event()

    def pump():
        while True:
            chunk = proc.stdout.read1(65536)
            if not chunk:
                done.set()
                return
            output.extend(chunk)
            for marker in (b"vireo-guest: ready", BEGIN, END):
                if marker not in seen and marker in output[-len(chunk) - 64:]:
                    seen[marker] = (time.monotonic(), vmm_cpu_seconds(proc.pid))
                    if marker == END:
                        done.set()
    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + 240
        while b"vireo-guest: ready" not in seen:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the guest did not come up")
            time.sleep(0.1)
        time.sleep(1)
        command = f"echo EXIT-$((1+1))BEGIN; head -c {chars} /dev/zero | tr '\\0' x; echo; echo EXIT-$((1+1))END\n"
        proc.stdin.write(command.encode())
        proc.stdin.flush()
        if not done.wait(900) or END not in seen or BEGIN not in seen:
            raise RuntimeError("the guest did not finish printing")
        (t0, cpu0), (t1, cpu1) = seen[BEGIN], seen[END]
        return {"vmm": "vireo" if profiler else "vireo-noprof", "chars": chars, "seconds": round(t1 - t0, 4),
                "vmm_cpu_s": round(cpu1 - cpu0, 3), "us_per_char": round((t1 - t0) / chars * 1e6, 3)}
    finally:
        proc.kill()
        proc.wait()


def table(rows):
    out = ["| VMM | runs | characters | wall (s), median | us per character | VMM CPU (s), median |",
           "|---|---|---|---|---|---|"]
    medians = {}
    for vmm in ("vireo", "vireo-noprof"):
        rs = [r for r in rows if r["vmm"] == vmm]
        if not rs:
            continue
        medians[vmm] = {key: statistics.median(r[key] for r in rs) for key in ("seconds", "us_per_char", "vmm_cpu_s")}
        m = medians[vmm]
        out.append(f"| {vmm} | {len(rs)} | {rs[0]['chars']} | {m['seconds']:.3f} | {m['us_per_char']:.2f} | {m['vmm_cpu_s']:.2f} |")
    if len(medians) == 2:
        on, off = medians["vireo"], medians["vireo-noprof"]
        out.append(f"| **profiler on/off** | | | **{on['seconds'] / off['seconds']:.3f}x** | "
                   f"{on['us_per_char'] / off['us_per_char']:.3f}x | {on['vmm_cpu_s'] / off['vmm_cpu_s']:.3f}x |")
    for vmm in ("vireo", "vireo-noprof"):
        values = sorted(r["seconds"] for r in rows if r["vmm"] == vmm)
        if values:
            out.append(f"\n{vmm}: every run's wall time (s): {', '.join(f'{v:.3f}' for v in values)}")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["run", "report"])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chars", type=int, default=50000)
    args = parser.parse_args()
    rows = []
    if args.mode == "report":
        rows = json_rows(args.files, "EXITBENCH-JSON ")
    else:
        for run in range(args.runs):  # interleaved, so drift in the test host hits both alike
            for profiler in ((True, False) if run % 2 == 0 else (False, True)):
                try:
                    row = {**one_run(profiler, args.chars), "run": run}
                except (RuntimeError, OSError) as error:
                    log(f"run {run} (profiler {'on' if profiler else 'off'}): {error}")
                    continue
                print("EXITBENCH-JSON " + json.dumps(row), flush=True)
                rows.append(row)
    print(table(rows), flush=True)


if __name__ == "__main__":
    main()
