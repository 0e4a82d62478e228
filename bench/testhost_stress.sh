#!/usr/bin/env bash
# Counts nested test host hangs (issue 13): runs one guest-test file (or the fixed stress, the
# default: test_boot) in N consecutive test-host calls, with the test host's own retry off, and
# prints each call's fate and wall time, then the totals: finished (passed or failed), hung
# (by shape: spinning or silent), and the median wall time.
# Usage: bench/testhost_stress.sh [N] [TEST.py]      (default: 20 tests/guest/test_boot.py)
# Extra test-host settings go in the environment as usual (VIREO_TESTHOST_KVM_AMD=..., ...).
# To compare settings under the same conditions, name them in STRESS_VARIANTS, separated by ';',
# each NAME or NAME:VAR=VALUE[:VAR=VALUE...] (a NAME alone runs the environment as it is):
#   STRESS_VARIANTS='default;single:VIREO_TESTHOST_ACCEL=tcg,thread=single' bench/testhost_stress.sh 10
# runs 10 rounds, each one call of every variant (their order turning each round, so that neither
# always runs first), and prints the totals per variant.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-20}
test_file=${2:-$repo/tests/guest/test_boot.py}
binary=${VIREO_BIN:-$repo/build/vireo}
[ -x "$binary" ] || { echo "testhost_stress: no vireo binary at $binary (make build)" >&2; exit 2; }
IFS=';' read -r -a variants <<< "${STRESS_VARIANTS:-default}"
log_dir=$(mktemp -d /tmp/vireo-stress.XXXXXX)
declare -A passed failed spinning silent other times
for variant in "${variants[@]}"; do
  name=${variant%%:*}
  passed[$name]=0 failed[$name]=0 spinning[$name]=0 silent[$name]=0 other[$name]=0 times[$name]=""
done

run_call() { # VARIANT CALL-NUMBER
  local variant=$1 call=$2 name=${1%%:*} settings=()
  [[ $variant == *:* ]] && IFS=':' read -r -a settings <<< "${variant#*:}"
  local log="$log_dir/$name-$call.log" start; start=$(date +%s)
  env "${settings[@]}" VIREO_TESTHOST_RETRIES=0 "$repo/tests/guest/run_guest_test.sh" "$binary" "$test_file" >"$log" 2>&1
  local rc=$? took=$(( $(date +%s) - start )) fate
  times[$name]+=" $took"
  if [ $rc = 0 ]; then fate=passed; passed[$name]=$(( ${passed[$name]} + 1 ))
  elif grep -q "it hung (spinning" "$log"; then fate="hung (spinning)"; spinning[$name]=$(( ${spinning[$name]} + 1 ))
  elif grep -q "it hung (silent" "$log"; then fate="hung (silent)"; silent[$name]=$(( ${silent[$name]} + 1 ))
  elif [ $rc = 125 ]; then fate="died (no status)"; other[$name]=$(( ${other[$name]} + 1 ))
  else fate="failed (rc $rc)"; failed[$name]=$(( ${failed[$name]} + 1 )); fi
  local retried=""
  grep -q "running the test once more" "$log" && retried=", a test retried"
  printf '%s call %2d: %-18s %4d s%s\n' "$name" "$call" "$fate" "$took" "$retried"
}

count=${#variants[@]}
for round in $(seq 1 "$rounds"); do
  for k in $(seq 0 $((count - 1))); do
    run_call "${variants[$(( (k + round - 1) % count ))]}" "$round"
  done
done
echo "---"
for variant in "${variants[@]}"; do
  name=${variant%%:*}
  median=$(printf '%s\n' ${times[$name]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$name: $rounds calls of $(basename "$test_file"): ${passed[$name]} passed, ${failed[$name]} failed," \
    "${spinning[$name]} hung spinning, ${silent[$name]} hung silent, ${other[$name]} died otherwise;" \
    "median wall time ${median} s"
done
echo "(logs in $log_dir)"
