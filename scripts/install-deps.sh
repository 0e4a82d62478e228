#!/usr/bin/env bash
# Installs what Vireo needs to build, test and benchmark on Debian 12. Idempotent; skips
# apt-get when everything is already there.
set -euo pipefail
packages=(build-essential g++ cmake ninja-build pkg-config git
  libfmt-dev liburing-dev libslirp-dev libglib2.0-dev zlib1g-dev libzstd-dev nlohmann-json3-dev libseccomp-dev libvncserver-dev libgcrypt20-dev libpng-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  python3 cpio gzip kmod apt-utils dpkg
  qemu-system-x86 qemu-utils seabios ovmf syslinux syslinux-common extlinux isolinux mtools dosfstools xorriso grub-pc-bin grub-efi-amd64-bin fdisk e2fsprogs iproute2 iputils-ping procps util-linux fio iperf3 strace vncsnapshot
  novnc chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
