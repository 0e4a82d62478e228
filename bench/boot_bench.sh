#!/usr/bin/env bash
# Runs bench/boot_bench.py where /dev/kvm is real KVM: here, or inside the nested test host.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
exec "$repo/scripts/with-kvm.sh" env VIREO_CACHE="$cache" VIREO_BIN="${VIREO_BIN:-$repo/build/vireo}" \
  BENCH_RUNS="${BENCH_RUNS:-5}" python3 "$repo/bench/boot_bench.py" "$@"
