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

    // Batch: run() switches its thread to SCHED_BATCH while it runs (below). Unchanged: it leaves
    // the thread's policy alone (a loop of few, light wake-ups, such as the VNC display thread's,
    // under a filter without the scheduling calls).
    enum class Scheduling { Batch, Unchanged };
    [[nodiscard]] static Result<std::unique_ptr<EventLoop>> create(Scheduling scheduling = Scheduling::Batch);

    // Watches fd for events (EPOLLIN...); the handler runs on the loop thread. One handler per fd.
    [[nodiscard]] Result<void> add(int fd, uint32_t events, Handler handler);
    // Changes the events watched on an fd already added (e.g. EPOLLOUT while output is pending).
    [[nodiscard]] Result<void> modify(int fd, uint32_t events);
    void remove(int fd);

    // Runs until stop() is called (from any thread), then returns; each stop() ends one run(),
    // so a stop() that comes before run() makes it return at once, and the owner can run the
    // loop again (the machine's life goes on across guest resets with the same loop).
    void run();
    void stop();

private:
    EventLoop(UniqueFd epoll, EventFd wake, Scheduling scheduling)
        : m_epoll(std::move(epoll))
        , m_wake(std::move(wake))
        , m_scheduling(scheduling)
    {
    }
    UniqueFd m_epoll;
    EventFd m_wake;
    Scheduling m_scheduling;
    std::map<int, std::shared_ptr<Handler>> m_handlers;
    std::atomic<bool> m_stop { false };
};

} // namespace vireo
