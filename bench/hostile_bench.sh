#!/usr/bin/env bash
# Runs bench/hostile_bench.py (the hostile-guest test, vireo against qemu-system-x86_64 on the
# same guest and seeds) where /dev/kvm is real KVM: here, or inside the nested test host.
# Usage: bench/hostile_bench.sh [FIRST_SEED] [COUNT] [SECONDS_PER_SEED]   (default: 1 10 20)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
first=${1:-1} count=${2:-10} seconds=${3:-20}
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
# Each seed takes a boot, SECONDS and the teardown per VMM, allowed 120 s beyond SECONDS; one
# test-host call holds them all.
export VIREO_TESTHOST_TIMEOUT=${VIREO_TESTHOST_TIMEOUT:-$((600 + count * 2 * (seconds + 120)))}
exec "$repo/scripts/with-kvm.sh" env VIREO_CACHE="$cache" VIREO_BIN="${VIREO_BIN:-$repo/build/vireo}" \
  HOSTILE_QEMU="${HOSTILE_QEMU:-qemu-system-x86_64}" HOSTILE_VERBOSE="${HOSTILE_VERBOSE:-0}" HOSTILE_SEEDS="$(seq -s, "$first" $((first + count - 1)))" HOSTILE_SECONDS="$seconds" \
  PYTHONDONTWRITEBYTECODE=1 python3 "$repo/bench/hostile_bench.py"
