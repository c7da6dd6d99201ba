#!/bin/busybox sh
# /init of the test VM (PID 1, static busybox). Loads the modules listed in /modules.list, mounts the host
# root (9p, read-only) under a tmpfs overlay at /host, mounts the writable results share at the host path
# given on the kernel command line, then runs the guest script chrooted in /host and powers off.
# Kernel command line parameters (set by run-vm.sh):
#   kts.results=PATH   host path of the results dir (shared read-write as 9p tag "work"); the guest sees it
#                      at the same path. It holds script.sh (the command); the guest writes stdout, stderr,
#                      exit (the exit code), and init.log (this script's own trace).
#   kts.modules=PATH   host path of the unpacked kernel's lib/modules/VERSION; bound to /lib/modules/VERSION
#                      in the guest so `modprobe` of any module works inside the chroot.
#   kts.shell=1        after the script (or instead of it, when there is no script.sh) start an interactive
#                      shell on the console (debugging; run-vm.sh --shell).
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

results=
modules=
shell=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    kts.results=*) results=${arg#kts.results=} ;;
    kts.modules=*) modules=${arg#kts.modules=} ;;
    kts.shell=1) shell=1 ;;
  esac
done

fail() {
  echo "kts-vm init: $*"
  [ -n "$shell" ] && setsid cttyhack sh
  poweroff -f
}

# Preloaded modules in dependency order (build-initramfs.sh resolved them).
while read -r mod; do
  [ -n "$mod" ] || continue
  insmod "/$mod" 2>/tmp/insmod.err || echo "kts-vm init: insmod $mod: $(cat /tmp/insmod.err)"
done < /modules.list

mkdir -p /lower /rw /host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower || fail "mount host root"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /host || fail "mount overlay"
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount -t devtmpfs devtmpfs /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts devpts /host/dev/pts
mount -t tmpfs tmpfs /host/dev/shm
mount -t tmpfs tmpfs /host/run
mkdir -p /host/run/netns /host/run/lock
mount -t tmpfs tmpfs /host/sys/fs/cgroup 2>/dev/null

# The whole module tree of the unpacked kernel, for modprobe in the guest root and for the kernel's own
# module requests (IPVS schedulers, rtnl-link-veth, ...): those run the usermode helper with PID 1's root,
# i.e. this initramfs, so the helper hops into the guest root.
if [ -n "$modules" ] && [ -d "/host$modules" ]; then
  version=${modules##*/}
  mkdir -p "/host/lib/modules/$version"
  mount --bind "/host$modules" "/host/lib/modules/$version"
  printf '#!/bin/sh\nexec chroot /host /sbin/modprobe "$@"\n' > /sbin/kts-modprobe
  chmod 0755 /sbin/kts-modprobe
  echo /sbin/kts-modprobe > /proc/sys/kernel/modprobe
else
  echo "kts-vm init: no module tree at '$modules'; only the preloaded modules are available"
fi

if [ -n "$results" ]; then
  mkdir -p "/host$results"
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 work "/host$results" || fail "mount results"
fi

ip link set lo up
hostname kts-vm

if [ -n "$results" ] && [ -f "/host$results/script.sh" ]; then
  # The runner: environment from env.sh (if any), cwd from cwd (if any), then the script under bash.
  chroot /host /bin/bash -c '
    r=$1
    export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
    export KTS_VM=1 KTS_VM_RESULTS=$r
    [ -f "$r/env.sh" ] && . "$r/env.sh"
    cd "$(cat "$r/cwd" 2>/dev/null || echo /)" || exit 126
    bash "$r/script.sh" >"$r/stdout" 2>"$r/stderr" </dev/null
  ' kts-vm-runner "$results"
  echo $? > "/host$results/exit.tmp"
  mv "/host$results/exit.tmp" "/host$results/exit"
  sync
fi

if [ -n "$shell" ]; then
  echo "kts-vm: interactive shell in the guest chroot; exit to power off"
  setsid cttyhack chroot /host /bin/bash -c '
    cd "$(cat "$1/cwd" 2>/dev/null || echo /)"; export KTS_VM=1 KTS_VM_RESULTS=$1; exec bash -l' kts-vm-shell "$results"
fi
poweroff -f
