#!/usr/bin/env bash
# Counts nested test host hangs (issue 13): runs one guest-test file (or the fixed stress, the
# default: test_boot) in N consecutive test-host calls, with the test host's own retry off, and
# prints each call's fate and wall time, then the totals: finished (passed or failed), hung
# (by shape: spinning or silent), and the median wall time.
# Usage: bench/testhost_stress.sh [N] [TEST.py]      (default: 20 tests/guest/test_boot.py)
# Extra test-host settings go in the environment as usual (VIREO_TESTHOST_KVM_AMD=..., ...).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
test_file=${2:-$repo/tests/guest/test_boot.py}
binary=${VIREO_BIN:-$repo/build/vireo}
[ -x "$binary" ] || { echo "testhost_stress: no vireo binary at $binary (make build)" >&2; exit 2; }
log_dir=$(mktemp -d /tmp/vireo-stress.XXXXXX)
passed=0 failed=0 spinning=0 silent=0 other=0
times=()
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  VIREO_TESTHOST_RETRIES=0 "$repo/tests/guest/run_guest_test.sh" "$binary" "$test_file" >"$log_dir/$i.log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start )); times+=("$took")
  if [ $rc = 0 ]; then fate=passed; passed=$((passed + 1))
  elif grep -q "it hung (spinning" "$log_dir/$i.log"; then fate="hung (spinning)"; spinning=$((spinning + 1))
  elif grep -q "it hung (silent" "$log_dir/$i.log"; then fate="hung (silent)"; silent=$((silent + 1))
  elif [ $rc = 125 ]; then fate="died (no status)"; other=$((other + 1))
  else fate="failed (rc $rc)"; failed=$((failed + 1)); fi
  retried=""
  grep -q "running the test once more" "$log_dir/$i.log" && retried=", a test retried"
  printf 'call %2d: %-18s %4d s%s\n' "$i" "$fate" "$took" "$retried"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "---"
echo "$runs calls of $(basename "$test_file"): $passed passed, $failed failed, $spinning hung spinning," \
  "$silent hung silent, $other died otherwise; median wall time ${median} s (logs in $log_dir)"
