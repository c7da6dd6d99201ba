#!/usr/bin/env bash
# What the root tiers need from Debian's packages, installed when missing (root only). Called by
# scripts/test-all.sh (`npm test`) and so by .ci/run. Package maintainer scripts are kept from
# starting services (keepalived) on the host.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt_pkgs=(keepalived tshark tcpdump iproute2 nftables faketime qemu-system-x86 busybox-static cpio kmod ipvsadm systemd iputils-ping chromium prometheus)
missing=()
for p in "${apt_pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "=== apt packages: all present"
  exit 0
fi
echo "=== apt packages: installing ${missing[*]}"
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# keepalived's package may have started a daemon on hosts without policy-rc.d support.
pkill -x keepalived 2>/dev/null || true
