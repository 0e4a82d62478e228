#!/usr/bin/env bash
# Runs bench/boot_bench.py where /dev/kvm is real KVM: here, or inside the nested test host.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# In the nested test host, measure with nested paging as hardware KVM always has it (the test
# host's default is shadow paging, for stable tests: README, known problems).
export VIREO_TESTHOST_KVM_AMD=${VIREO_TESTHOST_KVM_AMD-npt=1}
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
exec "$repo/scripts/with-kvm.sh" env VIREO_CACHE="$cache" VIREO_BIN="${VIREO_BIN:-$repo/build/vireo}" \
  BENCH_RUNS="${BENCH_RUNS:-5}" python3 "$repo/bench/boot_bench.py" "$@"
