// The builder thread's allow list (builder_thread.h): it builds each machine (at start and at
// every reset: KVM VM and vCPUs, guest memory, firmware and kernel, images, taps, slirp, io_uring
// rings, ioeventfds, irqfds, socket chardevs), tears each down (at a reset and at exit), opens
// the media a monitor puts in, and removes the pid file at the end. It runs only while the event
// loop waits for it, on what the configuration and the monitors ask: no guest data reaches it.
// It starts no thread itself: the spawner does (thread_spawner.h).
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "kvm/kvm_abi.h"
#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

namespace {

constexpr SyscallRule k_rules[] = {
    // Files: images, firmware, kernel and initrd, chardev and snapshot files.
    { SCMP_SYS(openat), any_args(), "images, firmware, kernel and initrd, /dev/net/tun, chardev files, glibc's malloc" },
    { SCMP_SYS(close), any_args(), "every fd of a machine that goes" },
    { SCMP_SYS(read), any_args(), "firmware, kernel and initrd files; an eventfd drained as a machine goes" },
    { SCMP_SYS(write), any_args(), "eventfds (a loop stop, doorbells), log lines" },
    { SCMP_SYS(newfstatat), any_args(), "image and firmware sizes, backing chain loops" },
    { SCMP_SYS(statx), any_args(), "O_DIRECT alignment of an image (STATX_DIOALIGN)" },
    { SCMP_SYS(pread64), any_args(), "image probing; qcow2 tables when an image is opened" },
    { SCMP_SYS(preadv), any_args(), "the qcow2 header (aligned I/O helpers, O_DIRECT-safe)" },
    { SCMP_SYS(pwrite64), any_args(), "qcow2: the dirty bit and a last write-back on close" },
    { SCMP_SYS(pwritev), any_args(), "qcow2: header and table writes through the aligned I/O helpers" },
    { SCMP_SYS(fdatasync), any_args(), "qcow2: close leaves the image durable" },
    { SCMP_SYS(unlink), any_args(), "a Unix chardev socket's path at its end; snapshot=on temporary files; the pid file" },
    { SCMP_SYS(getrandom), any_args(), "the name of a snapshot=on temporary file" },
    { SCMP_SYS(fcntl), arg_equals(1, F_GETFD), "fd flags" },
    { SCMP_SYS(fcntl), arg_equals(1, F_GETFL), "status flags" },
    { SCMP_SYS(fcntl), arg_equals(1, F_SETFL), "O_NONBLOCK (tap, slirp, listeners)" },
    { SCMP_SYS(fcntl), arg_equals(1, F_SETFD), "close-on-exec (slirp's listeners)" },
    { SCMP_SYS(fcntl), arg_equals(1, F_OFD_SETLK), "image locks (as QEMU's, against a second VM)" },
    { SCMP_SYS(fcntl), arg_equals(1, F_OFD_GETLK), "image locks" },
    { SCMP_SYS(fcntl), arg_equals(1, F_DUPFD_CLOEXEC), "a new machine's handle on /dev/kvm, from the one kept open" },
    // Memory: guest RAM, kvm_run areas, rings, and malloc.
    { SCMP_SYS(memfd_create), any_args(), "guest RAM" },
    { SCMP_SYS(ftruncate), any_args(), "guest RAM's size" },
    { SCMP_SYS(mmap), arg_without(2, PROT_EXEC), "guest RAM, kvm_run areas, io_uring rings, malloc (never executable)" },
    { SCMP_SYS(mprotect), arg_without(2, PROT_EXEC), "malloc growing its arena (never executable)" },
    { SCMP_SYS(munmap), any_args(), "a machine's memory and rings when it goes, free" },
    { SCMP_SYS(madvise), any_args(), "guest RAM: MADV_DONTDUMP, MADV_HUGEPAGE, MADV_MERGEABLE; malloc_trim after loading" },
    { SCMP_SYS(mlock), any_args(), "guest RAM under -overcommit mem-lock=on" },
    { SCMP_SYS(brk), any_args(), "malloc" },
    { SCMP_SYS(mremap), any_args(), "realloc" },
    { SCMP_SYS(sched_getaffinity), any_args(), "glibc's malloc counts the CPUs (its arena limit) once" },
    // The fds a machine's devices wait on, registered with the event loop.
    { SCMP_SYS(eventfd2), any_args(), "ioeventfds, irqfds, completion queues, doorbells" },
    { SCMP_SYS(timerfd_create), any_args(), "virtio-blk's backstop timer, slirp's timers" },
    { SCMP_SYS(timerfd_settime), any_args(), "slirp arms its first timeout" },
    { SCMP_SYS(signalfd4), any_args(), "each machine takes SIGINT, SIGTERM, SIGHUP and SIGUSR2 on a signalfd" },
    { SCMP_SYS(epoll_create1), any_args(), "slirp's own epoll set" },
    { SCMP_SYS(epoll_ctl), any_args(), "a machine's fds join and leave the loop" },
    { SCMP_SYS(io_uring_setup), any_args(), "a ring per image" },
    { SCMP_SYS(io_uring_register), any_args(), "a ring's completion eventfd" },
    { SCMP_SYS(io_uring_enter), any_args(), "closing an image waits for its ring's last requests" },
    { SCMP_SYS(poll), any_args(), "closing a qcow2 image reaps its in-flight requests" },
    { SCMP_SYS(futex), any_args(), "the loop's hand-over, the spawner, device locks, joining a machine's threads" },
    { SCMP_SYS(clock_gettime), any_args(), "slirp's clock, timestamps, when the clock has no vDSO" },
    { SCMP_SYS(restart_syscall), any_args(), "a timed wait resumed after the process was stopped and continued" },
    // Listening sockets a machine brings: socket chardevs, slirp's hostfwd ports.
    { SCMP_SYS(socket), arg_equals(0, AF_UNIX), "a socket chardev's listening socket" },
    { SCMP_SYS(socket), arg_equals(0, AF_INET), "hostfwd listeners, TCP chardevs" },
    { SCMP_SYS(socket), arg_equals(0, AF_INET6), "TCP chardevs on IPv6" },
    { SCMP_SYS(bind), any_args(), "hostfwd and chardev listeners" },
    { SCMP_SYS(listen), any_args(), "hostfwd and chardev listeners" },
    { SCMP_SYS(setsockopt), any_args(), "SO_REUSEADDR on listeners" },
    { SCMP_SYS(getsockname), any_args(), "slirp: the address a hostfwd listener got" },
    { SCMP_SYS(getsockopt), any_args(), "a chardev's fd= socket: whether it listens (SO_ACCEPTCONN)" },
    { SCMP_SYS(fchmod), any_args(), "a Unix chardev socket gets mode 0600" },
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
    { SCMP_SYS(ioctl), ioctl_request(KVM_CREATE_VCPU), "a machine's vCPUs" },
    { SCMP_SYS(ioctl), ioctl_request(kvm_abi::k_set_cpuid2), "vCPU setup" },
    { SCMP_SYS(ioctl), ioctl_request(kvm_abi::k_set_msrs), "vCPU setup" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_REGS), "vCPU setup (boot entry state)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_SREGS), "vCPU setup (boot entry state)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_FPU), "vCPU setup" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_REGS), "vCPU setup (boot entry state)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_SREGS), "vCPU setup (boot entry state)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_LAPIC), "vCPU setup (LINT0/LINT1)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_LAPIC), "vCPU setup (LINT0/LINT1)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_USER_MEMORY_REGION), "guest RAM and the BIOS area's slots" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_DIRTY_LOG), "the framebuffer's dirty log starts clean" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_CLEAR_DIRTY_LOG), "the framebuffer's dirty log starts clean" },
    { SCMP_SYS(ioctl), ioctl_request(kvm_abi::k_set_gsi_routing), "the IRQ routing table" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_IRQ_LINE), "devices set their lines' first levels" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_IRQFD), "irqfds come and go with their machine" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_IOEVENTFD), "ioeventfds come and go with their machine" },
    // Other devices' ioctls.
    { SCMP_SYS(ioctl), ioctl_request(TUNSETIFF), "tap: attach to the interface" },
    { SCMP_SYS(ioctl), ioctl_request(TUNGETIFF), "tap: an fd= tap's name and flags" },
    { SCMP_SYS(ioctl), ioctl_request(TUNGETFEATURES), "tap: vnet header support" },
    { SCMP_SYS(ioctl), ioctl_request(TUNSETVNETHDRSZ), "tap: vnet header size" },
    { SCMP_SYS(ioctl), ioctl_request(TUNSETOFFLOAD), "tap: no offloads until the driver takes some" },
    { SCMP_SYS(ioctl), ioctl_request(BLKGETSIZE64), "the size of an image on a block device" },
    { SCMP_SYS(ioctl), ioctl_request(TCGETS), "isatty: a chardev on a terminal" },
    // A machine that goes stops its vCPUs: a kick each (pthread_kill), then a join.
    { SCMP_SYS(getpid), any_args(), "pthread_kill: a kick (SIGUSR1) for a vCPU" },
    { SCMP_SYS(rt_sigprocmask), arg_equals(0, SIG_BLOCK), "pthread_kill blocks signals around its tgkill" },
    { SCMP_SYS(rt_sigprocmask), arg_equals(0, SIG_SETMASK), "pthread_kill puts the mask back" },
    { SCMP_SYS(tgkill), arg_equals(2, SIGUSR1), "pthread_kill: a kick (SIGUSR1) for a vCPU, no other signal" },
    { SCMP_SYS(exit_group), any_args(), "the process ends (a fatal error, the SIGSYS handler)" },
};

} // namespace

std::span<const SyscallRule> builder_rules() { return k_rules; }

} // namespace vireo::sandbox
