#!/bin/sh
# init of the nested test host: mounts the host's root (9p, read-only) and the runner's work share,
# then runs /work/cmd.sh chrooted into the host's root, reports its status and powers off.
export PATH=/bin:/sbin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
# kvm_amd_params (comma-separated) comes from the kernel command line, as an environment variable.
while read -r m; do
  case "$m" in
    kvm-amd.ko*) insmod "/lib/modules/$m" $(echo "${kvm_amd_params:-}" | tr , ' ') 2>/dev/null ;;
    *) insmod "/lib/modules/$m" 2>/dev/null ;;
  esac
done < /etc/modules.order
H=/host
mkdir -p $H /work
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot $H || echo "testhost: cannot mount hostroot"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 work /work || echo "testhost: cannot mount work"
# Where the modules' code is, for scripts/testhost-where.py to name a hung CPU's functions.
for s in /sys/module/*/sections/.*text*; do
  m=${s#/sys/module/}; echo "${m%%/*} ${s##*/} $(cat "$s")"
done > /work/modules 2>/dev/null
# The kernel's own symbols (the package's System.map is a stub), once: the runner keeps them.
[ -e /work/want-kallsyms ] && grep -v "\]$" /proc/kallsyms > /work/kallsyms
mount -t proc proc $H/proc; mount -t sysfs sysfs $H/sys; mount -t devtmpfs devtmpfs $H/dev
mkdir -p /dev/pts; mount -t devpts devpts $H/dev/pts 2>/dev/null
mount -t tmpfs tmpfs $H/run; mount -t tmpfs tmpfs $H/root
# /tmp: writable, but the host's /tmp stays visible beneath (a CI clone may live there):
# an overlay with a tmpfs upper layer, or a plain tmpfs if overlayfs is unavailable.
mkdir -p /overlay && mount -t tmpfs tmpfs /overlay && mkdir -p /overlay/upper /overlay/work
mount -t overlay overlay -o lowerdir=$H/tmp,upperdir=/overlay/upper,workdir=/overlay/work $H/tmp || mount -t tmpfs tmpfs $H/tmp
mount -t tmpfs tmpfs $H/var/tmp 2>/dev/null
mkdir -p $H/run/work $H/run/netns; mount --bind /work $H/run/work
ip link set lo up 2>/dev/null
# the work dir is where the runner's files are; the host's view of it is reachable via /run/work
# Heartbeat: the runner stops a test host whose heartbeat file stops changing (a hung test host).
# Its own session: the chroot below takes the console as its controlling tty, which hangs up
# this shell's session.
setsid sh -c 'while :; do date +%s > /work/heartbeat; sleep 2; done' &
chroot $H /bin/sh -c 'cd "$(cat /run/work/cwd)" 2>/dev/null; export HOME=/root TERM=${TERM:-linux}; exec setsid -c /bin/sh /run/work/cmd.sh' </dev/ttyS0 >/dev/ttyS0 2>&1
rc=$?
echo "$rc" > /work/rc
sync
echo "VIREO-TESTHOST-EXIT rc=$rc" > /dev/ttyS0
poweroff -f
