#!/usr/bin/env bash
# Runs bench/firmware_bench.py (issue 9: SeaBIOS boots of the extlinux MBR disk on IDE and on
# virtio-blk, and fio against an IDE disk; vireo against qemu-system-x86_64 -enable-kvm -M pc -cpu host)
# where /dev/kvm is real KVM: here, or inside the nested test host, one test-host call per part so
# that a test host that dies loses one part only. Prints the tables at the end.
# Usage: bench/firmware_bench.sh [ide] [virtio] [io]   (default: all three)
# Environment: VIREO_BIN (default build/vireo), BENCH_RUNS (5), BENCH_RUNTIME (seconds per fio job, 5),
#              BENCH_OUT (directory for the logs, default .cache/bench/firmware-DATE), BENCH_VERBOSE
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# In the nested test host, measure with nested paging as hardware KVM always has it (the test
# host's default is shadow paging, for stable tests: README, known problems).
export VIREO_TESTHOST_KVM_AMD=${VIREO_TESTHOST_KVM_AMD-npt=1}
# IDE boots through SeaBIOS take a minute or more each in the test host (FACTS.md)
export VIREO_TESTHOST_TIMEOUT=${VIREO_TESTHOST_TIMEOUT:-2400}
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
"$repo/scripts/make-boot-images.sh" "$cache" >/dev/null
vireo=${VIREO_BIN:-$repo/build/vireo}
runs=${BENCH_RUNS:-5}
out=${BENCH_OUT:-$cache/bench/firmware-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
parts=("$@"); [ ${#parts[@]} -gt 0 ] || parts=(ide virtio io)
for part in "${parts[@]}"; do
  case "$part" in
    ide|virtio) args=(boot --cases "$part" --runs "$runs") ;;
    io)
      # the default guest plus fio, uncompressed (bench/make_bench_initrd.sh)
      initrd=$("$repo/bench/make_bench_initrd.sh" "$cache/bench/io-initrd.cpio" | tail -n1)
      args=(ide-io --runs "$runs" --runtime "${BENCH_RUNTIME:-5}") ;;
    *) echo "firmware_bench.sh: unknown part $part (ide, virtio, io)" >&2; exit 2 ;;
  esac
  echo "== $part ($(date -u +%H:%M:%S)) -> $out/$part.log" >&2
  "$repo/scripts/with-kvm.sh" env VIREO_CACHE="$cache" VIREO_BIN="$vireo" BENCH_INITRD="${initrd:-}" \
    PYTHONDONTWRITEBYTECODE=1 BENCH_VERBOSE="${BENCH_VERBOSE:-}" \
    python3 "$repo/bench/firmware_bench.py" "${args[@]}" 2>&1 | tee "$out/$part.log" || true
done
python3 "$repo/bench/firmware_bench.py" report "$out"/*.log
