// The display thread's allow list: the VNC server (ui/vnc_server.h) on its own event loop. It
// accepts clients on vireo's listening sockets, and libvncserver reads their messages, waits
// for their sockets and writes the screen's updates; the guest's screen reaches it from the
// event loop through a lock and an eventfd, and its input goes back the same way. It opens
// nothing, maps no guest memory and never touches KVM.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

namespace {

constexpr SyscallRule k_rules[] = {
    { SCMP_SYS(epoll_wait), any_args(), "the display thread's loop waits for clients and frames" },
    { SCMP_SYS(read), any_args(), "clients' messages (libvncserver reads with read), the frame doorbell" },
    { SCMP_SYS(write), any_args(), "screen updates to clients (libvncserver writes with write), the input doorbell, log lines" },
    { SCMP_SYS(pselect6), any_args(), "libvncserver waits for a client's socket (select)" },
    { SCMP_SYS(futex), any_args(), "the staged frame's and the input queue's locks, libvncserver's mutexes" },
    { SCMP_SYS(epoll_ctl), any_args(), "clients come and go" },
    { SCMP_SYS(accept4), any_args(), "a new client on a listening socket" },
    { SCMP_SYS(recvfrom), any_args(), "the connection gate and libvncserver peek at a new connection's first bytes" },
    { SCMP_SYS(timerfd_settime), any_args(), "the connection gate's deadline for a client's first bytes" },
    { SCMP_SYS(socketpair), arg_equals(0, AF_UNIX), "the stand-in socket a silent RFB client's greeting is written to (ui/rfb_new_client.h)" },
    { SCMP_SYS(dup3), any_args(), "a silent client's socket takes its stand-in's number" },
    { SCMP_SYS(getpeername), any_args(), "libvncserver: a new client's address" },
    { SCMP_SYS(setsockopt), arg_equals(2, TCP_NODELAY), "libvncserver: no Nagle delay for a new client" },
    { SCMP_SYS(fcntl), arg_equals(1, F_GETFL), "libvncserver makes a client's socket non-blocking" },
    { SCMP_SYS(fcntl), arg_equals(1, F_SETFL), "as above" },
    { SCMP_SYS(close), any_args(), "a client's socket" },
};

} // namespace

std::span<const SyscallRule> display_rules() { return k_rules; }

} // namespace vireo::sandbox
