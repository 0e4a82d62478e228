#!/usr/bin/env bash
# Runs bench/boot_bench.py where /dev/kvm is real KVM: here, or inside the nested test host.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
export VIREO_CACHE=$cache VIREO_BIN=${VIREO_BIN:-$repo/build/vireo}
if "$repo/scripts/kvm-is-hardware.sh"; then
  exec python3 "$repo/bench/boot_bench.py" "$@"
fi
exec "$repo/scripts/testhost-run.sh" env VIREO_CACHE="$cache" VIREO_BIN="$VIREO_BIN" BENCH_RUNS="${BENCH_RUNS:-5}" \
  python3 "$repo/bench/boot_bench.py" "$@"
