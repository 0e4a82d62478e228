#include "process/daemon.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace vireo {

namespace {

// The parent's side: one byte from the child means ready; the pipe closing without it means
// the child ended (its own messages are already on the terminal).
[[noreturn]] void wait_for_child(pid_t child, UniqueFd from_child)
{
    char byte = 0;
    ssize_t n;
    do {
        n = ::read(from_child.get(), &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1)
        std::_Exit(0);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    std::_Exit(WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1);
}

} // namespace

Result<Daemon> Daemon::start()
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0)
        return errno_error("-daemonize: pipe");
    UniqueFd from_child(fds[0]);
    UniqueFd to_parent(fds[1]);
    pid_t child = ::fork();
    if (child < 0)
        return errno_error("-daemonize: fork");
    if (child > 0) {
        to_parent.reset();
        wait_for_child(child, std::move(from_child));
    }
    from_child.reset();
    if (::setsid() < 0)
        return errno_error("-daemonize: setsid");
    return Daemon(std::move(to_parent));
}

Result<void> Daemon::ready()
{
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null.valid())
        return errno_error("-daemonize: /dev/null");
    if (::chdir("/") < 0)
        return errno_error("-daemonize: chdir /");
    char byte = 0;
    if (::write(m_to_parent.get(), &byte, 1) != 1)
        return errno_error("-daemonize: telling the parent");
    m_to_parent.reset();
    for (int fd : { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO })
        ::dup2(null.get(), fd);
    return {};
}

} // namespace vireo
