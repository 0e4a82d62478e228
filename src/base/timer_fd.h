#pragma once
// A one-shot timerfd on CLOCK_MONOTONIC: the event loop watches fd(); it becomes readable once
// the time given to arm() has passed.
#include <sys/timerfd.h>

#include <chrono>
#include <cstdint>

#include "base/result.h"
#include "base/unique_fd.h"

namespace vireo {

class TimerFd {
public:
    [[nodiscard]] static Result<TimerFd> create()
    {
        int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (fd < 0)
            return errno_error("timerfd_create");
        return TimerFd(UniqueFd(fd));
    }
    // Fires once, `delay` from now (replacing an earlier arm()).
    void arm(std::chrono::microseconds delay) const
    {
        itimerspec spec {};
        spec.it_value.tv_sec = static_cast<time_t>(delay.count() / 1'000'000);
        spec.it_value.tv_nsec = static_cast<long>(delay.count() % 1'000'000 * 1000);
        if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0)
            spec.it_value.tv_nsec = 1; // zero would disarm
        ::timerfd_settime(m_fd.get(), 0, &spec, nullptr);
    }
    // Clears the expiry count (so the fd is no longer readable); returns it.
    uint64_t consume() const
    {
        uint64_t expirations = 0;
        if (::read(m_fd.get(), &expirations, sizeof(expirations)) != sizeof(expirations))
            return 0;
        return expirations;
    }
    [[nodiscard]] int fd() const { return m_fd.get(); }

private:
    explicit TimerFd(UniqueFd fd)
        : m_fd(std::move(fd))
    {
    }
    UniqueFd m_fd;
};

} // namespace vireo
