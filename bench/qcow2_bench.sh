#!/usr/bin/env bash
# Runs bench/qcow2_bench.py (qcow2 images under fio; vireo against QEMU) where /dev/kvm is real KVM: here,
# or inside the nested test host, one test-host call per scenario so that each stays short.
# Usage: bench/qcow2_bench.sh [fresh] [filled] [overlay]   (default: all three)
# Environment: VIREO_BIN (default build/vireo), BENCH_RUNS (3), BENCH_RUNTIME (seconds per fio job, 4),
#              BENCH_OUT (directory for the logs, default .cache/bench/qcow2-DATE),
#              BENCH_DOC (a file whose "## qcow2" section gets the table, e.g. docs/benchmarks.md)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# In the nested test host, measure with nested paging as hardware KVM always has it (the test
# host's default is shadow paging, for stable tests: README, known problems).
export VIREO_TESTHOST_KVM_AMD=${VIREO_TESTHOST_KVM_AMD-npt=1}
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
# the benchmark guest of bench/io_bench.sh (fio added to the default initramfs), uncompressed
initrd=$("$repo/bench/make_bench_initrd.sh" "$cache/bench/io-initrd.cpio" | tail -n1)
vireo=${VIREO_BIN:-$repo/build/vireo}
out=${BENCH_OUT:-$cache/bench/qcow2-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
scenarios=("$@"); [ ${#scenarios[@]} -gt 0 ] || scenarios=(fresh filled overlay)
for scenario in "${scenarios[@]}"; do
  echo "== $scenario ($(date -u +%H:%M:%S)) -> $out/$scenario.log" >&2
  "$repo/scripts/with-kvm.sh" env VIREO_CACHE="$cache" VIREO_BIN="$vireo" BENCH_INITRD="$initrd" PYTHONDONTWRITEBYTECODE=1 \
    python3 "$repo/bench/qcow2_bench.py" run "$scenario" --runs "${BENCH_RUNS:-3}" --runtime "${BENCH_RUNTIME:-4}" \
    ${BENCH_ARGS:-} 2>&1 | tee "$out/$scenario.log"
done
where="on this machine"
"$repo/scripts/kvm-is-hardware.sh" || where="inside the nested test host (TCG with nested KVM; see FACTS.md), so absolute numbers are far below hardware and only the ratios mean much"
note="Measured by \`bench/qcow2_bench.sh\` ($(date -u +%Y-%m-%d), vireo $(git -C "$repo" rev-parse --short HEAD)) $where. \
Medians of ${BENCH_RUNS:-3} runs per VMM, runs interleaved; fio ${BENCH_RUNTIME:-4} s per job, libaio, O_DIRECT, queue depth 32; \
both VMMs: \`-enable-kvm -cpu host -M pc -m 512 -smp 2\`, \`-drive file=X,format=qcow2,if=none,id=d0,cache=none,aio=io_uring -device virtio-blk-pci,drive=d0\`, \
default qcow2 options (64 KiB clusters). Fresh image: 4 GiB, new for every run. Filled: 256 MiB, every cluster allocated with data. \
Overlay: new for every run, over the filled image (reads first, then the copy-on-write random writes)."
python3 "$repo/bench/qcow2_bench.py" report ${BENCH_DOC:+--doc "$BENCH_DOC"} --note "$note" "$out"/*.log
