// What the event loop's list gains when the machine has user-mode networking (-netdev user, or
// QEMU's default network): libslirp runs on the loop (net/slirp_backend.h) and turns the guest's
// frames into host sockets and back. Without it, the loop makes no socket at all and opens no
// file. Its other calls (recvfrom, sendto, shutdown, poll, epoll_ctl, timerfd_settime, close,
// fcntl F_GETFL/F_SETFL) are the loop's own already.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

namespace {

constexpr SyscallRule k_rules[] = {
    { SCMP_SYS(socket), arg_equals(0, AF_INET), "slirp: a host socket for a guest's TCP, UDP or ICMP" },
    { SCMP_SYS(socket), arg_equals(0, AF_INET6), "slirp: the same for IPv6" },
    { SCMP_SYS(connect), any_args(), "slirp: the guest connects out" },
    { SCMP_SYS(accept), any_args(), "slirp: a connection to a hostfwd port" },
    { SCMP_SYS(bind), any_args(), "slirp: a socket for the guest's UDP or ICMP" },
    { SCMP_SYS(setsockopt), any_args(), "slirp: SO_REUSEADDR, TCP_NODELAY, SO_OOBINLINE, buffer sizes" },
    { SCMP_SYS(getsockopt), any_args(), "slirp: SO_ERROR of a connect; a socket's type" },
    { SCMP_SYS(getsockname), any_args(), "slirp: the local address of an outgoing socket" },
    { SCMP_SYS(getpeername), any_args(), "slirp: a hostfwd connection's peer" },
    { SCMP_SYS(ioctl), ioctl_request(FIONREAD), "slirp: bytes waiting on a UDP socket" },
    { SCMP_SYS(fcntl), arg_equals(1, F_SETFD), "slirp: close-on-exec of a new socket" },
    { SCMP_SYS(openat), any_args(), "slirp: /etc/resolv.conf, the host's DNS servers for the guest's 10.0.2.3" },
    { SCMP_SYS(newfstatat), any_args(), "slirp: whether /etc/resolv.conf changed; its stream's buffer" },
};

} // namespace

std::span<const SyscallRule> event_loop_slirp_rules() { return k_rules; }

} // namespace vireo::sandbox
