#pragma once
// Events raised off the event loop's thread (a guest moving a CD-ROM tray from a vCPU, with a
// device lock held): post() only queues them and rings an eventfd; the loop sends them, in
// order, through the sink. drain() sends what is queued at once (a command that moved a tray
// sends the event before its reply, as QEMU does).
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "base/result.h"
#include "monitor/qmp_json.h"

namespace vireo {

class QmpEventQueue {
public:
    using Sink = std::function<void(std::string_view name, const Json& data)>;

    [[nodiscard]] static Result<std::unique_ptr<QmpEventQueue>> create(EventLoop& loop, Sink sink);
    ~QmpEventQueue();
    QmpEventQueue(const QmpEventQueue&) = delete;
    QmpEventQueue& operator=(const QmpEventQueue&) = delete;

    // Any thread.
    void post(std::string name, Json data);
    // The loop's thread: sends every queued event.
    void drain();

private:
    struct Pending {
        std::string name;
        Json data;
    };
    QmpEventQueue(EventLoop& loop, EventFd doorbell, Sink sink)
        : m_loop(loop)
        , m_doorbell(std::move(doorbell))
        , m_sink(std::move(sink))
    {
    }

    EventLoop& m_loop;
    EventFd m_doorbell;
    Sink m_sink;
    std::mutex m_lock; // taken under device locks: never held while the sink runs
    std::vector<Pending> m_pending;
};

} // namespace vireo
