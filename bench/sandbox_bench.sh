#!/usr/bin/env bash
# The sandbox's cost (issue 12): boot time, and virtio-blk throughput with fio, with vireo's
# seccomp filters on (its default) against -sandbox off, interleaved in one run where /dev/kvm is
# real KVM (here, or in the nested test host). Prints both tables; the "sandbox on/off" rows are
# the ratios.
# Usage: bench/sandbox_bench.sh          Environment: VIREO_BIN, BENCH_RUNS (boot 5, I/O 3), BENCH_RUNTIME
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/bench/boot_bench.sh" vireo "vireo -sandbox off"
BENCH_ARGS="--vmms vireo,vireo-nosandbox ${BENCH_ARGS:-}" "$repo/bench/io_bench.sh" blk
