#!/usr/bin/env bash
# The project's test command (README.md): every tier, in order of cost.
# unit, fuzz: no privileges. netns, interop: root + network namespaces (+ keepalived).
# vm: a Debian kernel with IPVS under qemu. Tiers with no test files yet are reported, not skipped silently.
set -euo pipefail
cd "$(dirname "$0")/.."
projects=(unit fuzz netns netns-load interop differential vm)
if [ "$(id -u)" -eq 0 ]; then
  # Root: every tier, with the Debian packages they need (the VM tier fetches its kernel itself).
  bash scripts/test-deps.sh
elif [ "${CI:-}" != "true" ]; then
  echo "=== not root: the unit and fuzz tiers only; netns, interop, differential and vm need root"
  echo "    (network namespaces, raw sockets, the keepalived package, qemu): run 'sudo npm test'"
  projects=(unit fuzz)
fi
for p in "${projects[@]}"; do
  dir="test/${p%%-*}" # netns-load: files of test/netns
  if find "$dir" -name '*.test.ts' 2>/dev/null | grep -q .; then
    echo "=== tier: $p"
    npx vitest run --project "$p"
  else
    echo "=== tier: $p has no tests yet"
  fi
done
