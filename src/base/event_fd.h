#pragma once
// An eventfd: the doorbell between threads, and the fd KVM signals (ioeventfd) or waits on (irqfd).
#include <sys/eventfd.h>

#include <cstdint>

#include "base/result.h"
#include "base/unique_fd.h"

namespace vireo {

class EventFd {
public:
    [[nodiscard]] static Result<EventFd> create(int flags = EFD_CLOEXEC | EFD_NONBLOCK)
    {
        int fd = ::eventfd(0, flags);
        if (fd < 0)
            return errno_error("eventfd");
        return EventFd(UniqueFd(fd));
    }
    void signal() const
    {
        uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(m_fd.get(), &one, sizeof(one));
    }
    // Returns the accumulated count and resets it (0 when nothing was signalled).
    uint64_t consume() const
    {
        uint64_t value = 0;
        if (::read(m_fd.get(), &value, sizeof(value)) != sizeof(value))
            return 0;
        return value;
    }
    [[nodiscard]] int fd() const { return m_fd.get(); }

private:
    explicit EventFd(UniqueFd fd)
        : m_fd(std::move(fd))
    {
    }
    UniqueFd m_fd;
};

} // namespace vireo
