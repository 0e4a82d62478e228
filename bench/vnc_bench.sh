#!/usr/bin/env bash
# Runs bench/vnc_bench.py (issue 10: frames per second, bytes per frame and VMM CPU per frame over
# VNC for a guest redrawing its 1024x768x32 framebuffer and one scrolling its text console, and an
# idle guest's VMM CPU with a client connected; vireo against qemu-system-x86_64 -vga std -vnc)
# where /dev/kvm is real KVM: here, or inside the nested test host. Prints the table at the end.
# Usage: bench/vnc_bench.sh [vireo] [qemu]   (default: both)
# Environment: VIREO_BIN (default build/vireo), BENCH_SECONDS (20), BENCH_IDLE_SECONDS (60),
#              BENCH_COPYRECT (1: the client offers CopyRect beside raw; 0: raw only),
#              BENCH_OUT (directory for the log, default .cache/bench/vnc-DATE)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export VIREO_TESTHOST_KVM_AMD=${VIREO_TESTHOST_KVM_AMD-npt=1}
export VIREO_TESTHOST_TIMEOUT=${VIREO_TESTHOST_TIMEOUT:-1800}
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
vireo=${VIREO_BIN:-$repo/build/vireo}
out=${BENCH_OUT:-$cache/bench/vnc-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
"$repo/scripts/with-kvm.sh" env VIREO_CACHE="$cache" VIREO_BIN="$vireo" PYTHONDONTWRITEBYTECODE=1 \
  BENCH_SECONDS="${BENCH_SECONDS:-20}" BENCH_IDLE_SECONDS="${BENCH_IDLE_SECONDS:-60}" \
  BENCH_COPYRECT="${BENCH_COPYRECT:-1}" \
  python3 "$repo/bench/vnc_bench.py" "$@" 2>&1 | tee "$out/vnc.log" || true
python3 "$repo/bench/vnc_bench.py" report "$out/vnc.log"
