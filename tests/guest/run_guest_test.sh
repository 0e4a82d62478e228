#!/usr/bin/env bash
# Runs one guest test: directly where /dev/kvm is hardware KVM, else inside the nested test host.
# Usage: run_guest_test.sh VIREO_BINARY TEST.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
# Debugging and test knobs go in too (the test host starts with a clean environment).
passed=()
for name in VIREO_DEBUG CRASH_TRIALS CRASH_SEED; do
  [ -n "${!name:-}" ] && passed+=("$name=${!name}")
done
exec "$repo/scripts/with-kvm.sh" env VIREO_BIN="$1" VIREO_CACHE="$cache" PYTHONDONTWRITEBYTECODE=1 "${passed[@]}" \
  python3 "$2"
