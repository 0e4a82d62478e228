#!/usr/bin/env bash
# The control-plane benchmark (issue 11): bench/qmp_bench.py (QMP round trip and stop/cont, vireo against
# qemu-system-x86_64) and the exit profiler's cost (bench/io_bench.py's virtio-blk 4 KiB random read line,
# vireo with the profiler against the same binary with VIREO_EXIT_PROFILER=off), where /dev/kvm is real
# KVM: here, or inside the nested test host, one test-host call per part.
# Usage: bench/qmp_bench.sh [qmp] [profiler] [exits]   (default: qmp and profiler; exits: the profiler's cost
#        on a guest whose every serial byte is an exit, bench/exit_cost_bench.py, BENCH_CHARS characters)
# Environment: VIREO_BIN (default build/vireo), BENCH_RUNS (3), BENCH_COUNT (query-status round trips per
#              run, 2000), BENCH_PAUSES (stop/cont pairs per run, 20), BENCH_RUNTIME (seconds per fio job, 5),
#              BENCH_OUT (directory for the logs, default .cache/bench/qmp-DATE)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# In the nested test host, measure with nested paging as hardware KVM always has it (the test
# host's default is shadow paging, for stable tests: README, known problems).
export VIREO_TESTHOST_KVM_AMD=${VIREO_TESTHOST_KVM_AMD-npt=1}
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
vireo=${VIREO_BIN:-$repo/build/vireo}
runs=${BENCH_RUNS:-3}
out=${BENCH_OUT:-$cache/bench/qmp-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
parts=("$@"); [ ${#parts[@]} -gt 0 ] || parts=(qmp profiler)
for part in "${parts[@]}"; do
  echo "== $part ($(date -u +%H:%M:%S)) -> $out/$part.log" >&2
  case "$part" in
    qmp)
      "$repo/scripts/with-kvm.sh" env VIREO_CACHE="$cache" VIREO_BIN="$vireo" PYTHONDONTWRITEBYTECODE=1 \
        python3 "$repo/bench/qmp_bench.py" run --runs "$runs" --count "${BENCH_COUNT:-2000}" \
        --pauses "${BENCH_PAUSES:-20}" 2>&1 | tee "$out/qmp.log" ;;
    profiler)
      # "vireo-noprof" is the same binary run with VIREO_EXIT_PROFILER=off (bench/io_bench.py)
      BENCH_OUT="$out" BENCH_RUNS="$runs" VIREO_BIN="$vireo" \
        BENCH_ARGS="--jobs fio-randread --vmms vireo,vireo-noprof ${BENCH_ARGS:-}" \
        "$repo/bench/io_bench.sh" blk 2>&1 | tee "$out/profiler.log" ;;
    exits)
      # The profiler on exits themselves: serial output, every byte an I/O exit (bench/exit_cost_bench.py).
      "$repo/scripts/with-kvm.sh" env VIREO_CACHE="$cache" VIREO_BIN="$vireo" PYTHONDONTWRITEBYTECODE=1 \
        python3 "$repo/bench/exit_cost_bench.py" run --runs "$runs" --chars "${BENCH_CHARS:-50000}" 2>&1 \
        | tee "$out/exits.log" ;;
    *) echo "qmp_bench.sh: unknown part $part (qmp, profiler, exits)" >&2; exit 2 ;;
  esac
done
