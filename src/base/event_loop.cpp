#include "base/event_loop.h"

#include <sched.h>

#include <array>

namespace vireo {

Result<std::unique_ptr<EventLoop>> EventLoop::create(Scheduling scheduling)
{
    int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll < 0)
        return errno_error("epoll_create1");
    UniqueFd epoll_fd(epoll);
    auto wake = TRY(EventFd::create());
    epoll_event event {};
    event.events = EPOLLIN;
    event.data.fd = wake.fd();
    if (::epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, wake.fd(), &event) < 0)
        return errno_error("epoll_ctl");
    return std::unique_ptr<EventLoop>(new EventLoop(std::move(epoll_fd), std::move(wake), scheduling));
}

Result<void> EventLoop::add(int fd, uint32_t events, Handler handler)
{
    epoll_event event {};
    event.events = events;
    event.data.fd = fd;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &event) < 0)
        return errno_error("epoll_ctl add fd {}", fd);
    m_handlers[fd] = std::make_shared<Handler>(std::move(handler));
    return {};
}

Result<void> EventLoop::modify(int fd, uint32_t events)
{
    epoll_event event {};
    event.events = events;
    event.data.fd = fd;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_MOD, fd, &event) < 0)
        return errno_error("epoll_ctl modify fd {}", fd);
    return {};
}

void EventLoop::remove(int fd)
{
    ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
    m_handlers.erase(fd);
}

namespace {

// SCHED_BATCH for the loop thread while it runs (sched(7)): a batch thread that wakes up does
// not preempt the thread running on that CPU. The loop wakes for every batch of disk and network
// completions; preempting a running vCPU for each costs the guest a VM exit and a reschedule,
// while a moment's wait lets the loop take more completions at once (and an idle CPU takes it at
// once anyway). Restored on the way out: vCPU threads made later inherit the policy.
class BatchScheduling {
public:
    explicit BatchScheduling(bool wanted)
        : m_policy(wanted ? ::sched_getscheduler(0) : -1)
    {
        if (!wanted)
            return;
        ::sched_getparam(0, &m_param);
        sched_param batch {};
        m_changed = m_policy == SCHED_OTHER && ::sched_setscheduler(0, SCHED_BATCH, &batch) == 0;
    }
    ~BatchScheduling()
    {
        if (m_changed)
            ::sched_setscheduler(0, m_policy, &m_param);
    }
    BatchScheduling(const BatchScheduling&) = delete;
    BatchScheduling& operator=(const BatchScheduling&) = delete;

private:
    int m_policy;
    sched_param m_param {};
    bool m_changed = false;
};

} // namespace

void EventLoop::run()
{
    BatchScheduling batch(m_scheduling == Scheduling::Batch);
    std::array<epoll_event, 32> events;
    // The stop request is taken (cleared) as the loop ends: one stop() ends one run().
    while (!m_stop.exchange(false)) {
        int n = ::epoll_wait(m_epoll.get(), events.data(), static_cast<int>(events.size()), -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < n && !m_stop; ++i) {
            int fd = events[static_cast<size_t>(i)].data.fd;
            if (fd == m_wake.fd()) {
                m_wake.consume();
                continue;
            }
            auto it = m_handlers.find(fd);
            if (it == m_handlers.end())
                continue;
            auto handler = it->second; // keep alive if the handler removes itself
            (*handler)(events[static_cast<size_t>(i)].events);
        }
    }
}

void EventLoop::stop()
{
    m_stop = true;
    m_wake.signal();
}

} // namespace vireo
