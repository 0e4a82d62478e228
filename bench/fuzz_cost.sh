#!/usr/bin/env bash
# What one input of a fuzz target costs (issue 12, docs/fuzzing.md "Per-input cost"), in the
# campaign build (clang-16, libFuzzer, ASan, UBSan) as a campaign runs it: libFuzzer loads a
# corpus, then runs RUNS mutated inputs with a fixed seed. The figures are the difference between
# that run and one that only loads the corpus (-runs=0), per mutated input:
#   cpu µs      CPU time (user + system), what the process itself spends;
#   faults      page faults: on this nested-virtualized machine each costs the wall clock far
#               more than its CPU time shows (the exits are the host's), so they are counted;
#   wall µs     elapsed time, which also swings with the machine's load.
#
#   bench/fuzz_cost.sh TARGET [CORPUS_DIR] [RUNS] [REPEATS]
#
# CORPUS_DIR defaults to the campaign's corpus (build-fuzz/campaign/TARGET/corpus) and is only
# read (new units go to a temporary directory); give the same directory for a before/after
# comparison. RUNS defaults to 3000, REPEATS (the best of which is printed) to 3. Runs under
# nice -n 19 with the campaign's ASAN_OPTIONS; needs perf.
# Environment: FUZZ_BUILD (default build-fuzz), FUZZ_JOBS (ninja -j, default 1), FUZZ_PROGRAM
# (a fuzz program to measure instead of building build-fuzz/fuzz/fuzz_TARGET).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD:-build-fuzz}
[ $# -ge 1 ] || { echo "usage: $0 TARGET [CORPUS_DIR] [RUNS] [REPEATS]" >&2; exit 2; }
target=$1
corpus=${2:-$build/campaign/$target/corpus}
runs=${3:-3000}
repeats=${4:-3}
[ -d "$corpus" ] || { echo "no corpus directory $corpus" >&2; exit 2; }
program=${FUZZ_PROGRAM:-}
if [ -z "$program" ]; then
  if [ ! -f "$build/build.ninja" ]; then
    CC=clang-16 CXX=clang++-16 cmake -S . -B "$build" -G Ninja -DVIREO_FUZZ=ON -DVIREO_SANITIZE=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  nice -n 19 ninja -C "$build" -j "${FUZZ_JOBS:-1}" "fuzz/fuzz_$target" >&2
  program=$build/fuzz/fuzz_$target
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# "cpu_ms faults wall_ms executions" of one run with -runs=$1.
measure() {
  rm -rf "$scratch/new" && mkdir "$scratch/new"
  ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16} nice -n 19 perf stat -x, -e task-clock,page-faults \
    -o "$scratch/stat" "$program" -runs="$1" -seed=1 -rss_limit_mb=2048 -timeout=10 \
    "$scratch/new" "$corpus" >"$scratch/log" 2>&1 || { tail "$scratch/log" >&2; exit 1; }
  local start end
  awk -F, '$3 == "task-clock" { cpu = $1 } $3 == "page-faults" { pf = $1 } END { printf "%s %s ", cpu, pf }' "$scratch/stat"
  # wall time from perf's header line is not in -x output; take it from libFuzzer's own clock
  sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2 \1/p' "$scratch/log" | tail -1
}
# The best (lowest CPU) of $repeats runs with -runs=$1.
best() {
  local line best_line="" best_cpu=""
  for _ in $(seq "$repeats"); do
    local start_ns end_ns
    start_ns=$(date +%s%N)
    line=$(measure "$1")
    end_ns=$(date +%s%N)
    line="$line $(( (end_ns - start_ns) / 1000000 ))"
    local cpu=${line%% *}
    if [ -z "$best_cpu" ] || awk -v a="$cpu" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; then
      best_cpu=$cpu best_line=$line
    fi
  done
  echo "$best_line"
}
# fields: cpu_ms faults libfuzzer_seconds executions wall_ms
load=$(best 0)
full=$(best "$runs")
awk -v t="$target" -v runs="$runs" -v a="$load" -v b="$full" 'BEGIN {
  split(a, x, " "); split(b, y, " ");
  n = y[4] - x[4]
  printf "%s: %d mutated inputs: cpu µs/input %.0f  faults/input %.1f  wall µs/input %.0f  (corpus load %d inputs: %.0f ms cpu)\n",
    t, n, (y[1] - x[1]) * 1000 / n, (y[2] - x[2]) / n, (y[5] - x[5]) * 1000 / n, x[4], x[1]
}'
