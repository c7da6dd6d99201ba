#!/usr/bin/env bash
# Builds the test VM's initramfs: static busybox as /init's shell, scripts/vm/init.sh as /init, and the
# kernel modules the tier needs with their dependencies (resolved by the host's kmod against the unpacked
# kernel), loaded in order by /init. Output is cached per kernel and per content of this script + init.sh.
#
# Usage: build-initramfs.sh KERNEL_DIR      (KERNEL_DIR from prepare-kernel.sh)
# Prints, on the last stdout line, the path of the gzipped initramfs (inside KERNEL_DIR).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kdir=$(cd "${1:?usage: build-initramfs.sh KERNEL_DIR}" && pwd)
version=$(cat "$kdir/version")

# Loaded by /init before anything else: what mounting the host root needs, and ip_vs (so /proc/net/ip_vs
# exists from the start). crc32c_generic first: libcrc32c (ip_vs -> nf_conntrack) fails to load without a
# crc32c provider, and crc32c-intel needs SSE4.2, which the emulated CPU lacks. Every other module (IPVS
# schedulers, veth, bridge, dummy, macvlan, ...) loads on demand from the full unpacked tree: the kernel's
# module requests go through /sbin/kts-modprobe (see init.sh) to kmod's modprobe inside the guest root.
# Each insmod costs ~70 ms under TCG (signature check), so the eager list stays short.
modules=(crc32c_generic virtio_pci 9pnet_virtio 9p overlay ip_vs)

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "build-initramfs: busybox not found (apt-get install busybox-static)" >&2; exit 1; }
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
  # `file` may be absent; ldd says "not a dynamic executable" for static binaries.
  ldd "$busybox" >/dev/null 2>&1 && { echo "build-initramfs: $busybox is not static (apt-get install busybox-static)" >&2; exit 1; }
fi

key=$(cat "$here/build-initramfs.sh" "$here/init.sh" "$busybox" | sha256sum | cut -c1-12)
out=$kdir/initrd-$key.gz
if [ -f "$out" ]; then
  echo "$out"
  exit 0
fi

stage=$(mktemp -d "$kdir/kts-vm-initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,lower,rw,host}
cp "$busybox" "$stage/bin/busybox"
cp "$here/init.sh" "$stage/init"
chmod 0755 "$stage/init" "$stage/bin/busybox"

# Ordered, de-duplicated insmod list; "builtin X" lines need no file.
: > "$stage/modules.list"
declare -A seen=()
for m in "${modules[@]}"; do
  while read -r verb path _; do
    [ "$verb" = insmod ] || continue
    # libcrc32c's soft dependency lists crc32c-intel, which needs SSE4.2 (absent on the emulated CPU).
    case "$path" in */crc32c-intel.ko*) continue ;; esac
    rel=${path#"$kdir"/}
    rel=${rel#./}
    [ -n "${seen[$rel]:-}" ] && continue
    seen[$rel]=1
    mkdir -p "$stage/$(dirname "$rel")"
    cp "$kdir/$rel" "$stage/$rel"
    echo "$rel" >> "$stage/modules.list"
  done < <(modprobe -d "$kdir" -S "$version" --show-depends "$m")
done

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -6) > "$stage.gz"
# Older builds (other keys) are stale; a running qemu keeps its open copy.
find "$kdir" -maxdepth 1 -name 'initrd-*.gz' ! -name "${out##*/}" -delete
mv "$stage.gz" "$out"
echo "$out"
