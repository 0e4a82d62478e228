#!/usr/bin/env bash
# Runs one guest test: directly where /dev/kvm is hardware KVM, else inside the nested test host.
# Usage: run_guest_test.sh VIREO_BINARY TEST.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
# Disk and CD-ROM images with boot loaders for the firmware tests (made once, on this side: it
# needs a loop mount).
case "$2" in *test_firmware*|*test_display*) "$repo/scripts/make-boot-images.sh" "$cache" >/dev/null ;; esac
# Debugging and test knobs go in too (the test host starts with a clean environment).
passed=()
for name in VIREO_DEBUG CRASH_TRIALS CRASH_SEED VIREO_TEST_OVMF HOSTILE_SEEDS HOSTILE_SECONDS CHURN_SECONDS; do
  [ -n "${!name:-}" ] && passed+=("$name=${!name}")
done
run() {
  "$repo/scripts/with-kvm.sh" env VIREO_BIN="$1" VIREO_CACHE="$cache" PYTHONDONTWRITEBYTECODE=1 "${passed[@]}" \
    python3 "$2"
}
[ -z "${VIREO_RETRY_LOG:-}" ] && { run "$@"; exit; }
# Every retry (a test host started again, a test run once more, a crash trial replaced) is also
# written to VIREO_RETRY_LOG, with the runner's report of why (the hang's shape and where the test
# host's CPUs were), so that `make test` can count them (issue 13: "no retry used").
set +e
run "$@" 2>&1 | while IFS= read -r line; do
  printf '%s\n' "$line"
  case $line in
    *"testhost: cpu"*" sample "*) ;;
    testhost:*|*"running the test once more"*|*"replaced by another trial"*)
      printf '%s: %s\n' "$(basename "$2")" "$line" >> "$VIREO_RETRY_LOG" ;;
  esac
done
exit "${PIPESTATUS[0]}"
