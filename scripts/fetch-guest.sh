#!/usr/bin/env bash
# Fetches the guest payloads from Debian's package repository into a cache and
# builds three initramfs images from them. Nothing is installed over the host.
#   guest/     Debian cloud kernel + busybox initramfs with the virtio modules (the default guest)
#   display/   Debian generic kernel (it has bochs-drm and psmouse) + the default guest's initramfs
#              shape with those (the display tests)
#   testhost/  Debian generic kernel + initramfs that loads 9p and kvm-amd (the nested test host)
# Usage: scripts/fetch-guest.sh [CACHE_DIR]   (default: $VIREO_CACHE or <repo>/.cache)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-${VIREO_CACHE:-$repo/.cache}}
mkdir -p "$cache/debs"
cd "$cache/debs"

# Resolve the versioned kernel packages behind the meta packages.
dep_of() { apt-cache depends "$1" | awk '/Depends: linux-image-/{print $2; exit}'; }
cloud_pkg=$(dep_of linux-image-cloud-amd64)
if [ -z "$cloud_pkg" ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq >&2
  cloud_pkg=$(dep_of linux-image-cloud-amd64)
fi
generic_pkg=$(dep_of linux-image-amd64)
[ -n "$cloud_pkg" ] && [ -n "$generic_pkg" ] || { echo "fetch-guest: cannot resolve kernel packages (run apt-get update)" >&2; exit 1; }

fetch() { # fetch PKG: download and unpack once
  local pkg=$1 dir="$cache/pkgs/$1"
  [ -d "$dir" ] && return 0
  ls "$pkg"_*.deb >/dev/null 2>&1 || apt-get download "$pkg" >&2
  mkdir -p "$dir.tmp" && dpkg -x "$(ls "$pkg"_*.deb | head -n1)" "$dir.tmp" && mv "$dir.tmp" "$dir"
}
fetch "$cloud_pkg"; fetch "$generic_pkg"; fetch busybox-static

# build_initramfs OUT PKGDIR INIT MODULE...: busybox + modules (with their deps, in load order) + init
build_initramfs() {
  local out=$1 pkgdir=$2 init=$3; shift 3
  local kver; kver=$(ls "$pkgdir/lib/modules" | head -n1)
  depmod -b "$pkgdir" "$kver"
  local root; root=$(mktemp -d)
  mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,mnt,etc,root,lib/modules}
  cp "$cache/pkgs/busybox-static/bin/busybox" "$root/bin/busybox"
  for app in $("$root/bin/busybox" --list); do [ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"; done
  : > "$root/etc/modules.order"
  local m line
  for m in "$@"; do
    modprobe -d "$pkgdir" -S "$kver" --show-depends "$m" 2>/dev/null | while read -r line; do
      case "$line" in insmod*)
        local ko; ko=$(echo "$line" | awk '{print $2}')
        local base; base=$(basename "$ko")
        if ! grep -qx "$base" "$root/etc/modules.order"; then
          cp "$ko" "$root/lib/modules/$base"
          echo "$base" >> "$root/etc/modules.order"
        fi;;
      esac
    done
  done
  cp "$init" "$root/init"; chmod +x "$root/init"
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp" && mv "$out.tmp" "$out"
  rm -rf "$root"
}

mkdir -p "$cache/guest" "$cache/display" "$cache/testhost"
if [ ! -s "$cache/guest/initrd.gz" ] || [ "$repo/scripts/guest-init.sh" -nt "$cache/guest/initrd.gz" ] \
   || [ "$repo/scripts/fetch-guest.sh" -nt "$cache/guest/initrd.gz" ]; then
  cp "$cache/pkgs/$cloud_pkg"/boot/vmlinuz-* "$cache/guest/vmlinuz"
  build_initramfs "$cache/guest/initrd.gz" "$cache/pkgs/$cloud_pkg" "$repo/scripts/guest-init.sh" \
    virtio_pci virtio_blk virtio_net virtio_rng virtio_console ext4 af_packet button evdev ata_piix sd_mod sr_mod isofs
fi
if [ ! -s "$cache/display/initrd.gz" ] || [ "$repo/scripts/guest-init.sh" -nt "$cache/display/initrd.gz" ] \
   || [ "$repo/scripts/fetch-guest.sh" -nt "$cache/display/initrd.gz" ]; then
  cp "$cache/pkgs/$generic_pkg"/boot/vmlinuz-* "$cache/display/vmlinuz"
  build_initramfs "$cache/display/initrd.gz" "$cache/pkgs/$generic_pkg" "$repo/scripts/guest-init.sh" \
    virtio_pci virtio_blk virtio_console virtio_input bochs psmouse evdev
fi
if [ ! -s "$cache/testhost/initrd.gz" ] || [ "$repo/scripts/testhost-init.sh" -nt "$cache/testhost/initrd.gz" ]; then
  cp "$cache/pkgs/$generic_pkg"/boot/vmlinuz-* "$cache/testhost/vmlinuz"
  build_initramfs "$cache/testhost/initrd.gz" "$cache/pkgs/$generic_pkg" "$repo/scripts/testhost-init.sh" \
    9p 9pnet_virtio virtio_pci overlay kvm-amd tun veth
fi
echo "$cache"
