#!/usr/bin/env bash
# Fetches the stock Debian kernel (the image package linux-image-amd64 depends on) with apt and unpacks it
# into the VM cache, then runs depmod on its modules. Idempotent: a finished unpack is kept, keyed by the
# kernel package name (which carries the kernel version).
#
# Usage: prepare-kernel.sh [CACHE_DIR]      (default: <repo>/.vm-cache)
# Prints, on the last stdout line, the unpacked kernel directory: CACHE_DIR/kernel/<version>, holding
# vmlinuz, lib/modules/<version>/ and a file `version`.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${1:-$repo/.vm-cache}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# The versioned image package behind the meta package, e.g. linux-image-6.1.0-56-amd64.
resolve_package() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'
}
pkg=$(resolve_package || true)
if [ -z "$pkg" ]; then
  echo "prepare-kernel: linux-image-amd64 unknown to apt; running apt-get update" >&2
  apt-get update -q >&2
  pkg=$(resolve_package)
fi
[ -n "$pkg" ] || { echo "prepare-kernel: cannot resolve the package behind linux-image-amd64" >&2; exit 1; }
version=${pkg#linux-image-}
dest=$cache/kernel/$version

if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi

work=$(mktemp -d "$cache/kts-vm-prep.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# apt-get download runs as the _apt user when it can; the work dir must be writable for it.
chmod 0777 "$work"
if ! apt-get download -q "$pkg" >&2; then
  echo "prepare-kernel: download failed; running apt-get update and retrying" >&2
  apt-get update -q >&2
  apt-get download -q "$pkg" >&2
fi
deb=$(ls "$work"/*.deb)
mkdir "$work/root"
dpkg -x "$deb" "$work/root"

# merged-/usr packages put modules under usr/lib/modules; normalise to lib/modules.
mkdir -p "$work/out/lib/modules"
if [ -d "$work/root/lib/modules/$version" ]; then
  mv "$work/root/lib/modules/$version" "$work/out/lib/modules/"
else
  mv "$work/root/usr/lib/modules/$version" "$work/out/lib/modules/"
fi
cp "$work/root/boot/vmlinuz-$version" "$work/out/vmlinuz"
depmod -b "$work/out" "$version"
echo "$version" > "$work/out/version"
touch "$work/out/.complete"

mkdir -p "$cache/kernel"
rm -rf "$dest"
mv "$work/out" "$dest"
echo "$dest"
