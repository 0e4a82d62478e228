#!/usr/bin/env bash
# Builds the benchmark initramfs: the default guest initramfs (scripts/fetch-guest.sh) plus fio and
# iperf3 from this machine (with every library ldd names and the dynamic loader, at the same paths)
# and bench/io_bench_init.sh as /init (see its header for the kernel command line it understands).
# The result is cached: it is rebuilt only when an input is newer than OUT.
# Usage: bench/make_bench_initrd.sh OUT.gz [INIT_SCRIPT]
#   INIT_SCRIPT   another /init instead of bench/io_bench_init.sh
#   BENCH_EXTRA_BINS="/usr/bin/x /usr/sbin/y"   more programs to add (with their libraries)
# OUT ending in .gz is gzip -1 compressed; any other name gives an uncompressed cpio archive
# (loads faster in slow guests: the kernel does not have to inflate it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${1:?usage: make_bench_initrd.sh OUT.gz [INIT_SCRIPT]}
init=${2:-$here/io_bench_init.sh}
cache=$("$repo/scripts/fetch-guest.sh" | tail -n1)
base=$cache/guest/initrd.gz
bins=(/usr/bin/fio /usr/bin/iperf3 ${BENCH_EXTRA_BINS:-})

fresh=1
if [ -s "$out" ]; then
  for input in "$base" "$init" "$0" "${bins[@]}"; do
    [ "$input" -nt "$out" ] && fresh=0
  done
else
  fresh=0
fi
if [ $fresh = 1 ]; then echo "$out"; exit 0; fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
(cd "$root" && gzip -dc "$base" | cpio -id --quiet)

# copy PATH keeping its path (the file itself, not a symlink, so that the archive is self-contained)
add() { mkdir -p "$root$(dirname "$1")"; cp -L "$1" "$root$1"; }
for bin in "${bins[@]}"; do
  add "$bin"
  # ldd lines: "libx.so.1 => /path/libx.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
  ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
    [ -e "$root$lib" ] || add "$lib"
  done
done
cp "$init" "$root/init"
chmod +x "$root/init"

mkdir -p "$(dirname "$out")"
case "$out" in
  *.gz) (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp" ;;
  *) (cd "$root" && find . | cpio -o -H newc --quiet) > "$out.tmp" ;;
esac
mv "$out.tmp" "$out"
echo "$out"
