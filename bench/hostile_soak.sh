#!/usr/bin/env bash
# The hostile-guest test (tests/guest/test_hostile.py) over many seeds: a soak kept out of
# `make test`, which runs three. Prints each seed's fate (ran to its end or the guest stopped
# answering, vireo kept running, peak RSS) and fails on the first seed that vireo does not
# survive. With VIREO_BIN=build-asan/vireo (make asan-test builds it) the run is under ASan too.
# Usage: bench/hostile_soak.sh [FIRST_SEED] [COUNT] [SECONDS_PER_SEED]   (default: 1 50 30)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
first=${1:-1} count=${2:-50} seconds=${3:-30}
binary=${VIREO_BIN:-$repo/build/vireo}
seeds=$(seq -s, "$first" $((first + count - 1)))
HOSTILE_SEEDS=$seeds HOSTILE_SECONDS=$seconds \
  "$repo/tests/guest/run_guest_test.sh" "$binary" "$repo/tests/guest/test_hostile.py"
