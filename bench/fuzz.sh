#!/usr/bin/env bash
# Coverage-guided fuzz campaigns (issue 12): builds the fuzz targets as libFuzzer programs with
# clang-16, AddressSanitizer and UndefinedBehaviorSanitizer in build-fuzz/ (once; then only what
# changed), and runs one campaign per target on one core under nice -n 19.
#
#   bench/fuzz.sh TARGET SECONDS     one campaign, e.g. bench/fuzz.sh qcow2 600
#   bench/fuzz.sh all SECONDS        every target in turn, SECONDS each
#   bench/fuzz.sh list               the targets
#   bench/fuzz.sh report             a Markdown table of every campaign so far (docs/fuzzing.md)
#
# Each target's campaign lives in build-fuzz/campaign/TARGET/: corpus/ (seeded from
# fuzz/corpus/TARGET/, grows across runs, so running again continues the campaign), crashes/
# (reproducers: crash-*, timeout-*, oom-*, leak-*), runs.log (one line per run) and the last run's
# libFuzzer output in last-run.log (run-PID.log while it runs). Two runs of one target at once
# share the corpus and add up in runs.log. Prints
# executions, exec/s, coverage (edges and features), corpus size and crashes, for this run and
# in total over all runs. A reproducer replays with build/fuzz/fuzz_TARGET FILE (the CTest build)
# or build-fuzz/fuzz/fuzz_TARGET FILE.
#
# Why clang-16 + libFuzzer (docs/fuzzing.md): AFL++'s GCC plugin in Debian 12 (afl++ 4.04c)
# refuses the current g++ 12 ("GCC and plugin have incompatible versions"), and clang-14 lacks
# std::expected. clang-16 with libstdc++ 12 builds the project once __cpp_concepts reports
# 202002L (see CMakeLists.txt).
# Environment: FUZZ_BUILD (default build-fuzz), FUZZ_JOBS (ninja -j, default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${FUZZ_BUILD:-build-fuzz}
targets() { ls fuzz/*_fuzz.cpp | sed 's|fuzz/||; s|_fuzz.cpp||'; }

usage() { echo "usage: $0 TARGET|all SECONDS  |  $0 list|report" >&2; exit 2; }

# Per target, over all runs in runs.log: runs, seconds and executions summed; exec/s over the
# whole; edges, features, corpus and crashes as the last run left them.
report() {
  echo "| target | runs | seconds | executions | exec/s | edges | features | corpus | crashes |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for name in $(targets); do
    local runs=$build/campaign/$name/runs.log
    [ -f "$runs" ] || { echo "| $name | 0 | | | | | | | |"; continue; }
    awk -v name="$name" '{
        for (i = 2; i <= NF; ++i) { split($i, kv, "="); v[kv[1]] = kv[2] }
        ++runs; seconds += v["seconds"]; execs += v["execs"]
      } END {
        printf "| %s | %d | %d | %d | %d | %s | %s | %s | %s |\n", name, runs, seconds, execs,
          seconds ? execs / seconds : 0, v["edges"], v["features"], v["corpus"], v["crashes"]
      }' "$runs"
  done
}

[ $# -ge 1 ] || usage
if [ "$1" = list ]; then targets; exit 0; fi
if [ "$1" = report ]; then report; exit 0; fi
[ $# -eq 2 ] || usage
target=$1 seconds=$2
[[ $seconds =~ ^[0-9]+$ ]] || usage

ensure_toolchain() {
  if command -v clang++-16 >/dev/null && ls /usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    return
  fi
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing clang-16 and libclang-rt-16-dev (libFuzzer)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang-16 libclang-rt-16-dev >/dev/null
}

build_target() {
  if [ ! -f "$build/build.ninja" ]; then
    CC=clang-16 CXX=clang++-16 cmake -S . -B "$build" -G Ninja -DVIREO_FUZZ=ON -DVIREO_SANITIZE=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  nice -n 19 ninja -C "$build" -j "${FUZZ_JOBS:-1}" "fuzz/fuzz_$1" >&2
}

# One campaign of $2 seconds for target $1; prints its figures.
run_campaign() {
  local name=$1 time=$2
  local dir=$build/campaign/$name
  mkdir -p "$dir/corpus" "$dir/crashes"
  local seeds=() dict=()
  [ -d "fuzz/corpus/$name" ] && seeds=("$root/fuzz/corpus/$name")
  [ -f "fuzz/dict/$name.dict" ] && dict=("-dict=$root/fuzz/dict/$name.dict")
  # Its own log while it runs, so that two runs of one target (one per core, sharing the
  # corpus: libFuzzer reloads it every second) keep apart; last-run.log when it is done.
  local log=$dir/run-$$.log
  local before
  before=$(ls "$dir/crashes" | wc -l)
  # One process, one thread: libFuzzer's default. -timeout: an input running 10 s is a hang.
  # ASan's leak check stays on; a leak is a finding like a crash.
  local started=$SECONDS
  set +e
  # ASan's quarantine at 16 MiB instead of 256: a use after free within an input is caught as
  # before (an input frees far less), but with 256 MiB every allocation lands on memory the
  # kernel must fault in again, which on the shared (nested-virtualized) machine cost more than
  # the input itself: qcow2 and qmp ran at half speed or less. An ASAN_OPTIONS given wins.
  ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16} nice -n 19 "$build/fuzz/fuzz_$name" "$dir/corpus" "${seeds[@]}" "${dict[@]}" \
    -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/crashes/" >"$log" 2>&1
  local status=$?
  set -e
  # The time it ran, which is less than asked when it stopped on a finding or was interrupted.
  local ran=$((SECONDS - started))
  [ "$ran" -le "$time" ] || ran=$time
  local execs rate cov ft corpus
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  corpus=$(ls "$dir/corpus" | wc -l)
  local crashes findings
  crashes=$(ls "$dir/crashes" | wc -l)
  findings=$(grep -E "ERROR|SUMMARY|runtime error|deadly signal|Test unit written" "$log" | head -20 || true)
  # Read from this run's own log, moved only now: two runs of one target that end together (an
  # interrupt to both) would otherwise both read the one that moved last.
  mv -f "$log" "$dir/last-run.log"
  echo "$(date -u +%FT%TZ) seconds=$ran execs=${execs:-0} exec_per_sec=${rate:-0} edges=${cov:-0} features=${ft:-0} corpus=$corpus crashes=$crashes exit=$status" >>"$dir/runs.log"
  local total
  total=$(sed -n 's/.* execs=\([0-9]*\) .*/\1/p' "$dir/runs.log" | awk '{ s += $1 } END { print s + 0 }')
  printf '%-14s %7ss  execs %12s  exec/s %7s  edges %6s  features %7s  corpus %6s  crashes %s  (all runs: %s execs)\n' \
    "$name" "$ran" "${execs:-0}" "${rate:-0}" "${cov:-0}" "${ft:-0}" "$corpus" "$crashes" "$total"
  if [ "$crashes" -gt "$before" ] || [ "$status" -ne 0 ]; then
    echo "  $name: libFuzzer exited with status $status; reproducers in $dir/crashes/:" >&2
    ls -1 "$dir/crashes" | sed 's/^/    /' >&2
    [ -z "$findings" ] || sed 's/^/    /' <<<"$findings" >&2
    return 1
  fi
}

ensure_toolchain
if [ "$target" = all ]; then
  failed=0
  for name in $(targets); do
    build_target "$name"
    run_campaign "$name" "$seconds" || failed=1
  done
  exit $failed
fi
targets | grep -qx "$target" || { echo "no fuzz target '$target'; targets: $(targets | tr '\n' ' ')" >&2; exit 2; }
build_target "$target"
run_campaign "$target" "$seconds"
