// The event-loop thread's allow list: the main thread, which serves the loop (virtqueue
// notifications, disk and network completions, monitors, chardevs, signals, timers), runs the
// monitors' commands, builds a whole machine again at every reset (KVM VM and vCPUs, guest
// memory, firmware and kernel, images, taps, slirp, io_uring rings, ioeventfds, irqfds) and
// tears it down on exit.
//
// Its filter is installed once the first machine is built and before its vCPUs start. It starts
// no thread itself: the spawner thread does (thread_spawner.h), so no other kind's calls need be
// here. What only startup needs (option parsing, -runas, -chroot, the monitors' listening
// sockets, the terminal's raw mode, the spawner) is done before and is not here.
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/fs.h>

#include "kvm/kvm_abi.h"
#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

namespace {

constexpr SyscallRule k_rules[] = {
    // The loop itself.
    { SCMP_SYS(epoll_wait), any_args(), "the event loop waits" },
    { SCMP_SYS(read), any_args(), "eventfds, signalfd, timerfds, stdin, chardev and monitor clients" },
    { SCMP_SYS(write), any_args(), "eventfds (irqfds, queue doorbells), console output, log lines" },
    { SCMP_SYS(readv), any_args(), "tap: a frame straight into the guest's receive buffers" },
    { SCMP_SYS(writev), any_args(), "tap: a frame from the guest's transmit chain" },
    { SCMP_SYS(futex), any_args(), "device locks shared with vCPUs, joining threads" },
    { SCMP_SYS(io_uring_enter), any_args(), "submit virtio-blk batches; wait for a ring's last requests on close" },
    { SCMP_SYS(epoll_ctl), any_args(), "fds come and go (clients, tap receive on/off, a machine's devices)" },
    { SCMP_SYS(timerfd_settime), any_args(), "virtio-blk's backstop timer, slirp's timers" },
    { SCMP_SYS(getrandom), any_args(), "virtio-rng's entropy; the name of a snapshot=on temporary file" },
    { SCMP_SYS(clock_gettime), any_args(), "slirp's clock, QMP event timestamps, when the clock has no vDSO" },
    { SCMP_SYS(poll), any_args(), "closing a qcow2 image reaps its in-flight requests; a full terminal under the human monitor" },
    { SCMP_SYS(restart_syscall), any_args(), "a timed wait resumed after the process was stopped and continued" },
    // Sockets: QMP and chardev clients, slirp's host side, a socket chardev made at each reset.
    { SCMP_SYS(recvfrom), any_args(), "QMP clients, slirp (host side of guest connections)" },
    { SCMP_SYS(sendto), any_args(), "QMP replies and events, slirp" },
    { SCMP_SYS(accept4), any_args(), "a new monitor or chardev client" },
    { SCMP_SYS(accept), any_args(), "slirp: a connection to a hostfwd port" },
    { SCMP_SYS(connect), any_args(), "slirp: the guest connects out" },
    { SCMP_SYS(shutdown), any_args(), "slirp closes one direction of a guest connection" },
    { SCMP_SYS(socket), arg_equals(0, AF_UNIX), "a socket chardev's listening socket (made with each machine)" },
    { SCMP_SYS(socket), arg_equals(0, AF_INET), "slirp's host sockets, hostfwd listeners, TCP chardevs" },
    { SCMP_SYS(socket), arg_equals(0, AF_INET6), "slirp's host sockets for IPv6, TCP chardevs" },
    { SCMP_SYS(bind), any_args(), "hostfwd and chardev listeners" },
    { SCMP_SYS(listen), any_args(), "hostfwd and chardev listeners" },
    { SCMP_SYS(setsockopt), any_args(), "slirp (SO_REUSEADDR, TCP_NODELAY, SO_OOBINLINE), listeners" },
    { SCMP_SYS(getsockopt), any_args(), "slirp: SO_ERROR of a connect; a socket's type" },
    { SCMP_SYS(getsockname), any_args(), "slirp: the local address of a hostfwd or outgoing socket" },
    { SCMP_SYS(getpeername), any_args(), "slirp: a hostfwd connection's peer" },
    { SCMP_SYS(fchmod), any_args(), "a Unix chardev socket gets mode 0600" },
    { SCMP_SYS(unlink), any_args(), "a Unix chardev socket's path at its end; snapshot=on temporary files" },
    // Building a machine (at start and at every reset) and closing one.
    { SCMP_SYS(openat), any_args(), "images, firmware, kernel and initrd, /dev/net/tun, slirp's resolv.conf" },
    { SCMP_SYS(close), any_args(), "every fd of a machine that goes" },
    { SCMP_SYS(newfstatat), any_args(), "image and firmware sizes, backing chain loops" },
    { SCMP_SYS(statx), any_args(), "O_DIRECT alignment of an image (STATX_DIOALIGN)" },
    { SCMP_SYS(pread64), any_args(), "image probing; qcow2 tables when an image is opened" },
    { SCMP_SYS(preadv), any_args(), "the qcow2 header (aligned I/O helpers, O_DIRECT-safe)" },
    { SCMP_SYS(pwrite64), any_args(), "qcow2: the dirty bit and a last write-back on close" },
    { SCMP_SYS(pwritev), any_args(), "qcow2: header and table writes through the aligned I/O helpers" },
    { SCMP_SYS(fdatasync), any_args(), "qcow2: close leaves the image durable" },
    { SCMP_SYS(memfd_create), any_args(), "guest RAM" },
    { SCMP_SYS(ftruncate), any_args(), "guest RAM's size" },
    { SCMP_SYS(mmap), arg_without(2, PROT_EXEC), "guest RAM, kvm_run areas, io_uring rings, malloc (never executable)" },
    { SCMP_SYS(mprotect), arg_without(2, PROT_EXEC), "new thread stacks' guard pages, malloc (never executable)" },
    { SCMP_SYS(munmap), any_args(), "a machine's memory and rings when it goes, free" },
    { SCMP_SYS(madvise), any_args(), "guest RAM: MADV_DONTDUMP, MADV_HUGEPAGE, MADV_MERGEABLE; malloc_trim after loading" },
    { SCMP_SYS(mlock), any_args(), "guest RAM under -overcommit mem-lock=on" },
    { SCMP_SYS(brk), any_args(), "malloc" },
    { SCMP_SYS(mremap), any_args(), "realloc (glib, libslirp)" },
    { SCMP_SYS(eventfd2), any_args(), "ioeventfds, irqfds, completion queues, doorbells" },
    { SCMP_SYS(timerfd_create), any_args(), "virtio-blk's backstop timer, slirp's timers" },
    { SCMP_SYS(signalfd4), any_args(), "each machine takes SIGINT, SIGTERM, SIGHUP and SIGUSR2 on a signalfd" },
    { SCMP_SYS(epoll_create1), any_args(), "slirp's own epoll set" },
    { SCMP_SYS(io_uring_setup), any_args(), "a ring per image" },
    { SCMP_SYS(io_uring_register), any_args(), "a ring's completion eventfd" },
    { SCMP_SYS(fcntl), arg_equals(1, F_GETFD), "fd flags" },
    { SCMP_SYS(fcntl), arg_equals(1, F_SETFD), "close-on-exec (slirp's sockets)" },
    { SCMP_SYS(fcntl), arg_equals(1, F_GETFL), "status flags" },
    { SCMP_SYS(fcntl), arg_equals(1, F_SETFL), "O_NONBLOCK (tap, slirp, clients)" },
    { SCMP_SYS(fcntl), arg_equals(1, F_OFD_SETLK), "image locks (as QEMU's, against a second VM)" },
    { SCMP_SYS(fcntl), arg_equals(1, F_OFD_GETLK), "image locks" },
    { SCMP_SYS(fcntl), arg_equals(1, F_DUPFD_CLOEXEC), "a new machine's handle on /dev/kvm, from the one kept open" },
    // KVM: the system fd, the VM and its vCPUs as each machine is built.
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_API_VERSION), "KVM's API version" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_CHECK_EXTENSION), "capabilities" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_VCPU_MMAP_SIZE), "size of a vCPU's kvm_run area" },
    { SCMP_SYS(ioctl), ioctl_request(kvm_abi::k_get_supported_cpuid), "CPUID the guest may see" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_CREATE_VM), "a machine's VM" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_TSS_ADDR), "VM setup (Intel)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_IDENTITY_MAP_ADDR), "VM setup (Intel)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_ENABLE_CAP), "VM setup: dirty logs that vireo clears (MANUAL_DIRTY_LOG_PROTECT2)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_CREATE_IRQCHIP), "in-kernel PIC, IOAPIC and local APICs" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_CREATE_PIT2), "in-kernel PIT" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_IRQCHIP), "state report (SIGUSR2)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_PIT2), "state report (SIGUSR2)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_CLOCK), "stop: the guest's clock is saved" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_CLOCK), "cont: the guest's clock goes on from where it stopped" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_CREATE_VCPU), "a machine's vCPUs" },
    { SCMP_SYS(ioctl), ioctl_request(kvm_abi::k_set_cpuid2), "vCPU setup" },
    { SCMP_SYS(ioctl), ioctl_request(kvm_abi::k_set_msrs), "vCPU setup" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_REGS), "vCPU setup (boot entry state)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_SREGS), "vCPU setup (boot entry state)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_FPU), "vCPU setup" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_REGS), "vCPU setup (boot entry state), the monitor's info registers and x" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_SREGS), "vCPU setup (boot entry state), the monitor's info registers and x" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_LAPIC), "vCPU setup (LINT0/LINT1)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_LAPIC), "vCPU setup (LINT0/LINT1)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_USER_MEMORY_REGION), "guest RAM and the BIOS area's slots" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_DIRTY_LOG), "the VGA framebuffer's changed pages (display refresh)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_CLEAR_DIRTY_LOG), "the framebuffer's pages write-protected again, a stripe per refresh" },
    { SCMP_SYS(ioctl), ioctl_request(kvm_abi::k_set_gsi_routing), "the IRQ routing table" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_IRQ_LINE), "IDE completions, the ACPI power button (SCI), INTx of devices" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_IRQFD), "irqfds go with their machine" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_IOEVENTFD), "ioeventfds go with their machine" },
    // Other devices' ioctls.
    { SCMP_SYS(ioctl), ioctl_request(TUNSETIFF), "tap: attach to the interface (at each reset)" },
    { SCMP_SYS(ioctl), ioctl_request(TUNGETIFF), "tap: an fd= tap's name and flags" },
    { SCMP_SYS(ioctl), ioctl_request(TUNGETFEATURES), "tap: vnet header support" },
    { SCMP_SYS(ioctl), ioctl_request(TUNSETVNETHDRSZ), "tap: vnet header size" },
    { SCMP_SYS(ioctl), ioctl_request(TUNSETOFFLOAD), "tap: no offloads until the driver takes some" },
    { SCMP_SYS(ioctl), ioctl_request(BLKGETSIZE64), "the size of an image on a block device" },
    { SCMP_SYS(ioctl), ioctl_request(TCGETS), "isatty, the terminal's mode" },
    { SCMP_SYS(ioctl), ioctl_request(TCSETS), "the terminal's mode back at exit" },
    { SCMP_SYS(ioctl), ioctl_request(FIONREAD), "slirp: bytes waiting on a UDP socket" },
    // Threads: the spawner starts them (thread_spawner.h); the loop kicks vCPUs and joins threads.
    { SCMP_SYS(getpid), any_args(), "pthread_kill: a kick (SIGUSR1) for a vCPU" },
    { SCMP_SYS(rt_sigprocmask), arg_equals(0, SIG_BLOCK), "pthread_kill blocks signals around its tgkill" },
    { SCMP_SYS(rt_sigprocmask), arg_equals(0, SIG_SETMASK), "pthread_kill puts the mask back" },
    { SCMP_SYS(tgkill), arg_equals(2, SIGUSR1), "pthread_kill: a kick (SIGUSR1) for a vCPU, no other signal" },
    { SCMP_SYS(sched_getscheduler), any_args(), "the loop runs SCHED_BATCH while it runs (and restores the policy)" },
    { SCMP_SYS(sched_getparam), any_args(), "as above" },
    { SCMP_SYS(sched_setscheduler), arg_equals(0, 0), "as above, for the loop's own thread only" },
    { SCMP_SYS(exit_group), any_args(), "vireo exits" },
};

} // namespace

std::span<const SyscallRule> event_loop_rules() { return k_rules; }

} // namespace vireo::sandbox
