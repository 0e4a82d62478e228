#include "char/fd_output.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace vireo {

void FdSerialOutput::write(std::span<const uint8_t> bytes)
{
    while (!bytes.empty()) {
        ssize_t written = ::write(m_fd, bytes.data(), bytes.size());
        if (written > 0) {
            bytes = bytes.subspan(static_cast<size_t>(written));
            continue;
        }
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0 && errno == EAGAIN) {
            pollfd wait { m_fd, POLLOUT, 0 };
            ::poll(&wait, 1, 100);
            continue;
        }
        return; // the reader went away (EPIPE): the guest's output is dropped, as on a real line
    }
}

} // namespace vireo
