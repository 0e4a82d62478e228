#!/usr/bin/env bash
# Fetches QEMU 10.0 from bookworm-backports into the cache, unpacked (never installed), for use as
# the nested test host's own QEMU: VIREO_TESTHOST_QEMU=$(scripts/fetch-testhost-qemu.sh) (issue 13,
# docs/testhost.md). The inner peer of benchmarks stays the installed QEMU 7.2. Prints the tree.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${VIREO_CACHE:-$repo/.cache}
tree=$cache/testhost-qemu/tree
[ -x "$tree/usr/bin/qemu-system-x86_64" ] && { echo "$tree"; exit 0; }
apt_dir=$cache/testhost-qemu/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$tree"
# A private sources list with the backports suite on the system's own mirror, for downloads only.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
  sed -nE 's#^(deb|URIs:)[[:space:]]+(\[[^]]*\][[:space:]]+)?(https?://[^ ]+/debian)/?([[:space:]].*)?$#\3#p' | sed -n 1p || true)
mirror=${mirror:-http://deb.debian.org/debian}
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} bookworm-backports main" \
  > "$apt_dir/sources.list"
apt_options=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir" -o Debug::NoLocking=1)
apt-get "${apt_options[@]}" update -qq >&2
(cd "$apt_dir/archives" && apt-get "${apt_options[@]}" download -qq \
  qemu-system-x86/bookworm-backports qemu-system-common/bookworm-backports qemu-system-data/bookworm-backports >&2)
for deb in "$apt_dir"/archives/qemu-system-*.deb; do dpkg -x "$deb" "$tree"; done
"$tree/usr/bin/qemu-system-x86_64" --version >&2
echo "$tree"
