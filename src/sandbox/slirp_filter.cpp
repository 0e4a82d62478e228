// A slirp thread's allow list (net/slirp_backend.h): libslirp, the user-mode network stack,
// turns the guest's frames into host sockets and back. It makes and uses those sockets, reads
// /etc/resolv.conf for the guest's DNS, waits on its own epoll set and hands frames to the
// event loop through a queue and an eventfd. It touches no KVM fd, no image and no tap; the
// sockets it makes are IPv4 and IPv6 only.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

namespace {

constexpr SyscallRule k_rules[] = {
    { SCMP_SYS(epoll_wait), any_args(), "wait for a socket, a timer or a frame from the guest" },
    { SCMP_SYS(poll), any_args(), "which of slirp's sockets are ready, each cycle" },
    { SCMP_SYS(read), any_args(), "its timerfd and wake-up eventfd" },
    { SCMP_SYS(write), any_args(), "the loop's eventfd (frames for the guest), its own wake-up, log lines" },
    { SCMP_SYS(futex), any_args(), "the frame queues' lock" },
    { SCMP_SYS(epoll_ctl), any_args(), "slirp's sockets come and go" },
    { SCMP_SYS(timerfd_settime), any_args(), "slirp's next timeout" },
    { SCMP_SYS(recvfrom), any_args(), "data from the host side of the guest's connections" },
    { SCMP_SYS(sendto), any_args(), "data to the host side of the guest's connections" },
    { SCMP_SYS(socket), arg_equals(0, AF_INET), "a host socket for a guest's TCP, UDP or ICMP" },
    { SCMP_SYS(socket), arg_equals(0, AF_INET6), "the same for IPv6" },
    { SCMP_SYS(connect), any_args(), "the guest connects out" },
    { SCMP_SYS(accept), any_args(), "a connection to a hostfwd port" },
    { SCMP_SYS(shutdown), any_args(), "one direction of a guest connection closes" },
    { SCMP_SYS(bind), any_args(), "a socket for the guest's UDP or ICMP" },
    { SCMP_SYS(setsockopt), any_args(), "SO_REUSEADDR, TCP_NODELAY, SO_OOBINLINE, buffer sizes" },
    { SCMP_SYS(getsockopt), any_args(), "SO_ERROR of a connect; a socket's type" },
    { SCMP_SYS(getsockname), any_args(), "the local address of an outgoing socket" },
    { SCMP_SYS(getpeername), any_args(), "a hostfwd connection's peer" },
    { SCMP_SYS(ioctl), ioctl_request(FIONREAD), "bytes waiting on a UDP socket" },
    { SCMP_SYS(fcntl), arg_equals(1, F_GETFD), "close-on-exec of a new socket" },
    { SCMP_SYS(fcntl), arg_equals(1, F_SETFD), "as above" },
    { SCMP_SYS(fcntl), arg_equals(1, F_GETFL), "O_NONBLOCK on a new socket" },
    { SCMP_SYS(fcntl), arg_equals(1, F_SETFL), "as above" },
    { SCMP_SYS(close), any_args(), "a guest connection's socket" },
    { SCMP_SYS(openat), any_args(), "/etc/resolv.conf: the host's DNS servers, for the guest's 10.0.2.3" },
    { SCMP_SYS(newfstatat), any_args(), "whether /etc/resolv.conf changed; its stream's buffer" },
    { SCMP_SYS(restart_syscall), any_args(), "a timed wait resumed after the process was stopped and continued" },
};

} // namespace

std::span<const SyscallRule> slirp_rules() { return k_rules; }

} // namespace vireo::sandbox
