#!/usr/bin/env bash
# Runs one guest test: directly where /dev/kvm is hardware KVM, else inside the nested test host.
# Usage: run_guest_test.sh VIREO_BINARY TEST.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
# The opt-in switches of the skipped guest tests go in too (the test host starts with a clean environment).
optins=()
for name in VIREO_TEST_QCOW2 VIREO_TEST_TAP VIREO_DEBUG; do
  [ -n "${!name:-}" ] && optins+=("$name=${!name}")
done
exec "$repo/scripts/with-kvm.sh" env VIREO_BIN="$1" VIREO_CACHE="$cache" PYTHONDONTWRITEBYTECODE=1 "${optins[@]}" \
  python3 "$2"
