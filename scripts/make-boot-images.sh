#!/usr/bin/env bash
# Makes the bootable images that the firmware guest tests boot, from the default guest's kernel and
# initramfs (scripts/fetch-guest.sh) and Debian's boot loaders; each is made once, in CACHE/boot/:
#   extlinux.raw   MBR disk, one ext4 partition with extlinux and /boot/{vmlinuz,initrd.gz}
#   isolinux.iso   El Torito CD-ROM (no emulation) with isolinux
#   grub.iso       grub-mkrescue image: GRUB for BIOS (CD and hybrid disk) and for EFI (GPT, ESP)
# Every boot loader's menu boots the guest with console=ttyS0 and waits 1 s (menu shown on serial).
# Usage: scripts/make-boot-images.sh [CACHE]   (prints CACHE/boot)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-$("$repo/scripts/fetch-guest.sh" | tail -n1)}
out="$cache/boot"
mkdir -p "$out"
kernel="$cache/guest/vmlinuz"
initrd="$cache/guest/initrd.gz"
append="console=ttyS0 quiet"
stamp_ok() { [ -s "$1" ] && [ "$1" -nt "$initrd" ] && [ "$1" -nt "$0" ]; }
work=$(mktemp -d); trap 'umount "$work/mnt" 2>/dev/null || true; rm -rf "$work"' EXIT

syslinux_cfg() { # label text for extlinux/isolinux
  printf 'PROMPT 1\nTIMEOUT 10\nSAY vireo-boot: syslinux menu\nDEFAULT guest\nLABEL guest\n  KERNEL %s\n  INITRD %s\n  APPEND %s\n' \
    "$1" "$2" "$append"
}

if ! stamp_ok "$out/extlinux.raw"; then
  img="$work/extlinux.raw"
  truncate -s 64M "$img"
  printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$img"
  dd if=/usr/lib/syslinux/mbr/mbr.bin of="$img" bs=440 count=1 conv=notrunc status=none
  part="$work/part.ext4"
  truncate -s $(( (64 - 1) * 1024 * 1024 )) "$part"
  mkdir -p "$work/root/boot/extlinux"
  cp "$kernel" "$work/root/boot/vmlinuz"; cp "$initrd" "$work/root/boot/initrd.gz"
  syslinux_cfg /boot/vmlinuz /boot/initrd.gz > "$work/root/boot/extlinux/extlinux.conf"
  echo "vireo boot test file" > "$work/root/hello.txt"
  # syslinux 6.04 reads no ext4 with the 64bit or metadata_csum features (Debian 12's defaults),
  # nor files that `mkfs.ext4 -d` wrote: the files are copied in through a mount.
  mkfs.ext4 -q -F -O ^64bit,^metadata_csum -L vireoboot "$part"
  mkdir -p "$work/mnt"
  mount -o loop "$part" "$work/mnt"
  cp -r "$work/root/." "$work/mnt/"
  extlinux --install "$work/mnt/boot/extlinux" >/dev/null 2>&1
  umount "$work/mnt"
  dd if="$part" of="$img" bs=1M seek=1 conv=notrunc status=none
  mv "$img" "$out/extlinux.raw"
fi

if ! stamp_ok "$out/isolinux.iso"; then
  iso="$work/iso"; mkdir -p "$iso/isolinux"
  cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
  cp "$kernel" "$iso/vmlinuz"; cp "$initrd" "$iso/initrd.gz"
  syslinux_cfg /vmlinuz /initrd.gz > "$iso/isolinux/isolinux.cfg"
  echo "vireo cdrom test file" > "$iso/hello.txt"
  xorriso -as mkisofs -quiet -o "$work/isolinux.iso" -V VIREOCD -J -R \
    -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$iso"
  mv "$work/isolinux.iso" "$out/isolinux.iso"
fi

if ! stamp_ok "$out/grub.iso"; then
  g="$work/grub"; mkdir -p "$g/boot/grub"
  cp "$kernel" "$g/boot/vmlinuz"; cp "$initrd" "$g/boot/initrd.gz"
  cat > "$g/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=1
menuentry "vireo guest" {
  echo "vireo-boot: grub loading"
  linux /boot/vmlinuz $append
  initrd /boot/initrd.gz
}
CFG
  grub-mkrescue -o "$work/grub.iso" "$g" >/dev/null 2>&1
  mv "$work/grub.iso" "$out/grub.iso"
fi
echo "$out"
