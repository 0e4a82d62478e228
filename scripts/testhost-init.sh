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
# One KVM VM with one vCPU held open for the test host's life (kvm_hold=0 on the command line turns
# it off). Creating the first VM and destroying the last flips static keys, which the kernel
# patches into running code through an int3 (text_poke_bp): preempt_notifier_key in __schedule,
# KVM's apic_sw_disabled. In this TCG test host a CPU then and again stayed on that int3 forever,
# both CPUs spinning at __schedule+0x2ab (scripts/testhost-where.py, docs/testhost.md). With a VM
# held, inner VMs come and go without flipping them. The irqchip makes the vCPU have a local APIC.
if [ "${kvm_hold:-1}" != 0 ]; then
  setsid chroot $H python3 -c 'import fcntl, os, time
kvm = os.open("/dev/kvm", os.O_RDWR)
vm = fcntl.ioctl(kvm, 0xAE01, 0)  # KVM_CREATE_VM
fcntl.ioctl(vm, 0xAE60, 0)        # KVM_CREATE_IRQCHIP
fcntl.ioctl(vm, 0xAE41, 0)        # KVM_CREATE_VCPU 0
print("ready", flush=True)
time.sleep(1 << 30)' > /tmp/kvm-hold 2>&1 &
  for i in $(seq 1 20); do grep -q ready /tmp/kvm-hold && break; sleep 1; done
  grep -q ready /tmp/kvm-hold || { echo "testhost: cannot hold a KVM VM open:"; cat /tmp/kvm-hold; } > /dev/ttyS0
fi
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
