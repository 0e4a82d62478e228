#!/usr/bin/env bash
# Runs bench/io_bench.py (virtio-blk with fio, virtio-net with iperf3; vireo against QEMU) where /dev/kvm
# is real KVM: here, or inside the nested test host, one test-host call per part so that each stays short.
# Usage: bench/io_bench.sh [blk] [net] [netuser]   (default: blk net; netuser: net through slirp)
# Environment: VIREO_BIN (default build/vireo), VIREO_BASE_BIN (the "vireo-base" VMM of BENCH_ARGS --vmms), BENCH_RUNS (3), BENCH_RUNTIME (seconds per job, 5),
#              BENCH_OUT (directory for the logs, default .cache/bench/results-DATE),
#              BENCH_KVM_STATS, BENCH_VERBOSE, BENCH_PERF, BENCH_ARGS (see bench/io_bench.py)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# In the nested test host, measure with nested paging as hardware KVM always has it (the test
# host's default is shadow paging, for stable tests: README, known problems).
export VIREO_TESTHOST_KVM_AMD=${VIREO_TESTHOST_KVM_AMD-npt=1}
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
# uncompressed: the guest does not spend seconds inflating 85 MB of fio's libraries
initrd=$("$repo/bench/make_bench_initrd.sh" "$cache/bench/io-initrd.cpio" | tail -n1)
vireo=${VIREO_BIN:-$repo/build/vireo}
out=${BENCH_OUT:-$cache/bench/results-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
parts=("$@"); [ ${#parts[@]} -gt 0 ] || parts=(blk net)
for part in "${parts[@]}"; do
  echo "== $part ($(date -u +%H:%M:%S)) -> $out/$part.log" >&2
  "$repo/scripts/with-kvm.sh" env VIREO_CACHE="$cache" VIREO_BIN="$vireo" VIREO_BASE_BIN="${VIREO_BASE_BIN:-$vireo}" \
    BENCH_INITRD="$initrd" PYTHONDONTWRITEBYTECODE=1 \
    BENCH_KVM_STATS="${BENCH_KVM_STATS:-}" BENCH_VERBOSE="${BENCH_VERBOSE:-}" BENCH_PERF="${BENCH_PERF:-}" \
    python3 "$repo/bench/io_bench.py" "$part" --runs "${BENCH_RUNS:-3}" --runtime "${BENCH_RUNTIME:-5}" \
    ${BENCH_ARGS:-} 2>&1 | tee "$out/$part.log"
done
python3 "$repo/bench/io_bench.py" report "$out"/*.log
