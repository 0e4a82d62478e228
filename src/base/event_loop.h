#pragma once
// The single event-loop thread: epoll over fds (console, ioeventfds, back ends, signals, timers).
// Handlers run on the loop's thread; other threads add work only through fds (eventfd).
#include <sys/epoll.h>

#include <atomic>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "base/event_fd.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace vireo {

class EventLoop {
public:
    using Handler = std::function<void(uint32_t events)>;

    [[nodiscard]] static Result<std::unique_ptr<EventLoop>> create();

    // Watches fd for events (EPOLLIN...); the handler runs on the loop thread. One handler per fd.
    [[nodiscard]] Result<void> add(int fd, uint32_t events, Handler handler);
    void remove(int fd);

    // Runs until stop() is called (from any thread).
    void run();
    void stop();
    [[nodiscard]] bool stopped() const { return m_stop; }

private:
    EventLoop(UniqueFd epoll, EventFd wake)
        : m_epoll(std::move(epoll))
        , m_wake(std::move(wake))
    {
    }
    UniqueFd m_epoll;
    EventFd m_wake;
    std::map<int, std::shared_ptr<Handler>> m_handlers;
    std::atomic<bool> m_stop { false };
};

} // namespace vireo
