#!/usr/bin/env bash
# Boots the test VM (stock Debian kernel with IPVS modules, host root shared read-only under a tmpfs
# overlay) and runs a bash script inside it, chrooted into the host's file tree, from the repo's path.
#
# Usage: run-vm.sh [options] SCRIPT_FILE       run SCRIPT_FILE (bash) in the guest
#        run-vm.sh [options] -c 'COMMANDS'     run COMMANDS (bash) in the guest
#        run-vm.sh [options] --shell           interactive bash in the guest on this terminal (debugging)
# Options:
#   --results DIR   results dir (default: a new /tmp/kts-vm-run.XXXXXX, kept and printed on stderr)
#   --cwd DIR       guest working directory (default: the repo)
#   --timeout SEC   kill qemu after SEC seconds (default 300); exit status 124
#   --mem MB        guest memory (default 2048)      --smp N   guest CPUs (default 2)
#   --kernel DIR --initrd FILE   use an already prepared kernel/initramfs (skips prepare-kernel.sh and
#                   build-initramfs.sh, which are cached but still cost ~0.5 s)
#   --watch-pid PID kill qemu as soon as process PID is gone (the TS harness passes its own pid)
#   --shell         also start an interactive shell after the script (or alone, without a script)
# Results dir afterwards: script.sh, stdout, stderr, exit (guest script's exit code), console.log (serial).
# Exit status: the guest script's exit code; 124 on timeout; 125 when the guest wrote no exit code
# (boot failure, kernel panic: see console.log).
# Non-interactive runs print the guest's stdout and stderr to this script's stdout and stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
results=
watch_pid=
kdir=
initrd=
cwd=$repo
timeout_s=300
mem=2048
smp=2
shell=
script_file=
command_text=
while [ $# -gt 0 ]; do
  case "$1" in
    --results) results=$2; shift 2 ;;
    --cwd) cwd=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --shell) shell=1; shift ;;
    --watch-pid) watch_pid=$2; shift 2 ;;
    --kernel) kdir=$2; shift 2 ;;
    --initrd) initrd=$2; shift 2 ;;
    -c) command_text=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) script_file=$1; shift ;;
  esac
done
[ -n "$script_file$command_text$shell" ] || { echo "run-vm.sh: nothing to run (SCRIPT_FILE, -c or --shell)" >&2; exit 2; }

[ -n "$kdir" ] || kdir=$("$here/prepare-kernel.sh" | tail -n1)
[ -n "$initrd" ] || initrd=$("$here/build-initramfs.sh" "$kdir" | tail -n1)
version=$(cat "$kdir/version")

if [ -z "$results" ]; then
  results=$(mktemp -d /tmp/kts-vm-run.XXXXXX)
  echo "run-vm.sh: results in $results" >&2
fi
mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results/exit" "$results/stdout" "$results/stderr" "$results/console.log" "$results/killed"
if [ -n "$script_file" ]; then
  cp "$script_file" "$results/script.sh"
elif [ -n "$command_text" ]; then
  printf '%s\n' "$command_text" > "$results/script.sh"
fi
printf '%s' "$cwd" > "$results/cwd"

append="console=ttyS0 panic=-1 loglevel=3 kts.results=$results kts.modules=$kdir/lib/modules/$version"
[ -n "$shell" ] && append="$append kts.shell=1"
# TCG: a KVM guest hangs at boot on these machines. gives Node the instruction set it expects.
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -m "$mem" -smp "$smp"
  -nographic -no-reboot -nic none
  -kernel "$kdir/vmlinuz" -initrd "$initrd" -append "$append"
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
  -virtfs "local,path=$results,mount_tag=work,security_model=none")

if [ -n "$shell" ]; then
  "${qemu[@]}"
  exit 0
fi

# qemu runs in the background under a watchdog that kills it after --timeout seconds, or as soon as the
# --watch-pid process (the TS harness's node) is gone, so a killed test run leaves no VM behind. Both stay
# in this script's process group, which the harness kills on its own timeout.
"${qemu[@]}" </dev/null >"$results/console.log" 2>&1 &
qemu_pid=$!
(
  waited=0
  while kill -0 "$qemu_pid" 2>/dev/null; do
    reason=
    [ "$waited" -ge "$timeout_s" ] && reason=timeout
    [ -n "$watch_pid" ] && ! kill -0 "$watch_pid" 2>/dev/null && reason="watched process $watch_pid exited"
    if [ -n "$reason" ]; then
      echo "$reason" > "$results/killed"
      kill -TERM "$qemu_pid" 2>/dev/null
      sleep 5
      kill -KILL "$qemu_pid" 2>/dev/null
      exit 0
    fi
    sleep 1
    waited=$((waited + 1))
  done
) &
watchdog_pid=$!
status=0
wait "$qemu_pid" || status=$?
kill "$watchdog_pid" 2>/dev/null || true
wait "$watchdog_pid" 2>/dev/null || true
[ -f "$results/stdout" ] && cat "$results/stdout"
[ -f "$results/stderr" ] && cat "$results/stderr" >&2
if [ -f "$results/killed" ]; then
  echo "run-vm.sh: qemu killed ($(cat "$results/killed"), limit ${timeout_s}s); console log: $results/console.log" >&2
  exit 124
fi
if [ ! -f "$results/exit" ]; then
  echo "run-vm.sh: the guest wrote no exit code (qemu status $status); console log:" >&2
  tail -n 40 "$results/console.log" >&2
  exit 125
fi
exit "$(cat "$results/exit")"
