#pragma once
// -daemonize: the process forks before it starts any thread; the parent waits until the child
// says the VM is ready (monitors listening, pidfile written, machine built), then exits 0, or
// with the child's status if the child ended first, so errors before that still reach the
// terminal and a management tool that waits for the parent finds the sockets in place.
#include "base/result.h"
#include "base/unique_fd.h"

namespace vireo {

class Daemon {
public:
    // Forks. Returns only in the child (now the leader of a session of its own); the parent
    // waits for ready() or the child's end and exits from here.
    [[nodiscard]] static Result<Daemon> start();

    // Tells the parent to exit 0, then points stdin, stdout and stderr at /dev/null and makes
    // / the working directory (as QEMU does). Later messages are lost, as QEMU's are.
    [[nodiscard]] Result<void> ready();

private:
    explicit Daemon(UniqueFd to_parent) : m_to_parent(std::move(to_parent)) {}

    UniqueFd m_to_parent;
};

} // namespace vireo
