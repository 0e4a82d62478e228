#include "monitor/event_queue.h"

namespace vireo {

Result<std::unique_ptr<QmpEventQueue>> QmpEventQueue::create(EventLoop& loop, Sink sink)
{
    auto doorbell = TRY(EventFd::create());
    std::unique_ptr<QmpEventQueue> queue(new QmpEventQueue(loop, std::move(doorbell), std::move(sink)));
    QmpEventQueue* raw = queue.get();
    TRY(loop.add(raw->m_doorbell.fd(), EPOLLIN, [raw](uint32_t) {
        raw->m_doorbell.consume();
        raw->drain();
    }));
    return queue;
}

QmpEventQueue::~QmpEventQueue()
{
    m_loop.remove(m_doorbell.fd());
}

void QmpEventQueue::post(std::string name, Json data)
{
    {
        std::lock_guard guard(m_lock);
        m_pending.push_back(Pending { std::move(name), std::move(data) });
    }
    m_doorbell.signal();
}

void QmpEventQueue::drain()
{
    std::vector<Pending> pending;
    {
        std::lock_guard guard(m_lock);
        pending.swap(m_pending);
    }
    for (const auto& event : pending)
        m_sink(event.name, event.data);
}

} // namespace vireo
