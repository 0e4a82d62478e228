// The event-loop thread's allow list: the main thread, which serves the loop (virtqueue
// notifications, disk and network completions, monitors, chardevs, signals, timers), runs the
// monitors' commands and user-mode networking (slirp), and pauses, resumes and kicks the vCPUs.
//
// Its filter is installed once the first machine is built and before its vCPUs start. It builds
// no machine and tears none down: the builder thread does that for it, at start, at every reset
// and at exit, and opens a monitor's new media (builder_thread.h). With user-mode networking
// the list also holds slirp's socket calls (slirp_filter.cpp); without it the loop makes no
// socket and opens no file. It starts no thread: the spawner does (thread_spawner.h). What only startup needs (option parsing, -runas, -chroot, the
// monitors' listening sockets, the terminal's raw mode) is done before and is not here.
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

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
    { SCMP_SYS(futex), any_args(), "device locks shared with vCPUs, the builder's hand-over, joining threads" },
    { SCMP_SYS(io_uring_enter), any_args(), "submit virtio-blk batches" },
    { SCMP_SYS(epoll_ctl), any_args(), "fds come and go (clients, tap receive on/off, slirp's sockets)" },
    { SCMP_SYS(timerfd_settime), any_args(), "virtio-blk's backstop timer, slirp's timers" },
    { SCMP_SYS(getrandom), any_args(), "virtio-rng's entropy" },
    { SCMP_SYS(clock_gettime), any_args(), "slirp's clock, QMP event timestamps, when the clock has no vDSO" },
    { SCMP_SYS(poll), any_args(), "slirp's sockets; a full terminal under the human monitor" },
    { SCMP_SYS(restart_syscall), any_args(), "a timed wait resumed after the process was stopped and continued" },
    { SCMP_SYS(close), any_args(), "monitor and chardev clients, slirp's sockets" },
    // Sockets: QMP and chardev clients, slirp's host side.
    { SCMP_SYS(recvfrom), any_args(), "QMP clients, slirp (host side of guest connections)" },
    { SCMP_SYS(sendto), any_args(), "QMP replies and events, slirp" },
    { SCMP_SYS(accept4), any_args(), "a new monitor or chardev client" },
    { SCMP_SYS(shutdown), any_args(), "a monitor client that goes sees the end at once; slirp closes one direction of a guest connection" },
    // Memory: malloc and free.
    { SCMP_SYS(mmap), arg_without(2, PROT_EXEC), "malloc (never executable)" },
    { SCMP_SYS(mprotect), arg_without(2, PROT_EXEC), "malloc growing its arena (never executable)" },
    { SCMP_SYS(munmap), any_args(), "free" },
    { SCMP_SYS(madvise), arg_equals(2, MADV_DONTNEED), "free returning arena pages" },
    { SCMP_SYS(brk), any_args(), "malloc" },
    { SCMP_SYS(mremap), any_args(), "realloc (glib, libslirp)" },
    { SCMP_SYS(fcntl), arg_equals(1, F_GETFD), "fd flags" },
    { SCMP_SYS(fcntl), arg_equals(1, F_GETFL), "status flags" },
    { SCMP_SYS(fcntl), arg_equals(1, F_SETFL), "O_NONBLOCK (clients, slirp)" },
    // KVM: what the running machine asks of the VM.
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_IRQCHIP), "state report (SIGUSR2)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_PIT2), "state report (SIGUSR2)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_CLOCK), "stop: the guest's clock is saved" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_CLOCK), "cont: the guest's clock goes on from where it stopped" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_REGS), "the monitor's info registers and x" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_SREGS), "the monitor's info registers and x" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_DIRTY_LOG), "the VGA framebuffer's changed pages (display refresh)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_CLEAR_DIRTY_LOG), "the framebuffer's pages write-protected again, a stripe per refresh" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_IRQ_LINE), "IDE completions, the ACPI power button (SCI), INTx of devices" },
    { SCMP_SYS(ioctl), ioctl_request(TCGETS), "isatty, the terminal's mode" },
    { SCMP_SYS(ioctl), ioctl_request(TCSETS), "the terminal's mode back at exit" },
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
