#!/usr/bin/env bash
# Boots the default guest (Debian cloud kernel + busybox initramfs) to a shell on this terminal.
# Where /dev/kvm cannot run an unmodified guest (kvm_pvm here), runs the VM in the nested test host.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
vireo=${VIREO_BIN:-$repo/build/vireo}
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
args=(-enable-kvm -m 512 -smp 2 -kernel "$cache/guest/vmlinuz" -initrd "$cache/guest/initrd.gz"
      -append "console=ttyS0 quiet" -nographic "$@")
if "$repo/scripts/kvm-is-hardware.sh"; then
  exec "$vireo" "${args[@]}"
fi
echo "vireo: /dev/kvm here is not hardware KVM ($(ls /sys/module | grep -m1 '^kvm_' || echo unknown)) and cannot run an unmodified guest; running the VM inside the nested test host (Ctrl-A x quits)" >&2
exec "$repo/scripts/testhost-run.sh" -i "$vireo" "${args[@]}"
