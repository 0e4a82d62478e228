#!/usr/bin/env python3
"""The hostile-guest test as a benchmark (issue 12): vireo against qemu-system-x86_64 on the same
guest, command line and seeds, in one run, the two VMMs taking turns seed by seed. Run where
/dev/kvm is real KVM (bench/hostile_bench.sh takes care of the nested test host).

Per VMM: seeds run, what became of the guest's program (ran to its end; ended early, as when
the garbage it gave a device made the device write over the guest's own memory; or the guest
stopped answering), what became of the VMM (kept running and served query-status, then ended with 0 on
SIGTERM; or ended by itself, with its status), and its peak RSS (VmHWM). Prints a line per seed
and VMM, then a markdown table."""
import os
import shutil
import statistics
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../tests/guest"))
from test_hostile import build_initrd, run_seed  # noqa: E402

VIREO = os.environ.get("VIREO_BIN", os.path.join(os.path.dirname(__file__), "../build/vireo"))
VMMS = {"vireo": VIREO, "qemu": os.environ.get("HOSTILE_QEMU", "qemu-system-x86_64")}
SEEDS = [int(s) for s in os.environ.get("HOSTILE_SEEDS", ",".join(str(n) for n in range(1, 11))).split(",")]
SECONDS = int(os.environ.get("HOSTILE_SECONDS", "20"))
VERBOSE = os.environ.get("HOSTILE_VERBOSE") == "1"  # the console's end when the guest stopped answering


def describe(outcome):
    if isinstance(outcome, str):
        return f"the run failed: {outcome}"
    return f"{outcome.fate()}, peak RSS {outcome.peak_kib // 1024} MiB"


def summary_row(name, outcomes):
    runs = [o for o in outcomes if not isinstance(o, str)]
    ran_out = sum(o.actions is not None for o in runs)
    died = sum(o.actions is None and o.program_status is not None for o in runs)
    faulted = sum(o.faults is not None for o in runs)
    kept = sum(o.exit_status is None and o.qmp_status is not None and o.sigterm_status == 0 for o in runs)
    ended_zero = sum(o.exit_status == 0 for o in runs)
    ended_other = [f"{o.seed}: {o.exit_status}" for o in runs if o.exit_status not in (None, 0)]
    other = len(runs) - kept - ended_zero - len(ended_other)
    peaks = [o.peak_kib / 1024 for o in runs]
    peak = f"{statistics.median(peaks):.0f} / {max(peaks):.0f}" if peaks else ""
    failed = len(outcomes) - len(runs)
    return (f"| {name} | {len(outcomes)} | {ran_out} | {faulted} | {died} | {kept} | {ended_zero} | "
            f"{', '.join(ended_other) or 0} | {other + failed} | {peak} |")


def main():
    directory = tempfile.mkdtemp(prefix="hostile-bench-")
    try:
        initrd = build_initrd(directory)
        results = {name: [] for name in VMMS}
        for seed in SEEDS:
            for name, binary in VMMS.items():
                try:
                    outcome = run_seed(directory, initrd, seed, SECONDS, binary=binary)
                except Exception as error:  # a failed run is a result here, not the end of the run
                    traceback.print_exc()
                    outcome = str(error).splitlines()[0] if str(error) else type(error).__name__
                results[name].append(outcome)
                print(f"seed {seed} {name}: {describe(outcome)}", flush=True)
                if not isinstance(outcome, str) and outcome.exit_status not in (None, 0):
                    print(f"  its stderr ends: {outcome.errors[-600:]}", flush=True)
                if VERBOSE and not isinstance(outcome, str) and outcome.actions is None:
                    print(f"  the guest's console ends: {outcome.console[-1500:]}", flush=True)
        print(f"\n{len(SEEDS)} seeds ({SEEDS[0]}-{SEEDS[-1]}), {SECONDS} s each, 256 MiB guest, alternating VMMs\n")
        print("| VMM | seeds | program ran to its end | of which survived faults of its own | program ended early | VMM kept running, SIGTERM exit 0 | VMM ended by itself, status 0 "
              "| VMM ended otherwise (seed: status) | other | peak RSS MiB, median / max |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name, outcomes in results.items():
            print(summary_row(name, outcomes))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
