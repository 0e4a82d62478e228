#pragma once
// A thread-safe queue of finished callbacks with an eventfd doorbell: worker threads post(),
// the event-loop thread runs them in drain(). Used by the thread-pool engine and by qcow2's
// metadata worker so that every completion runs on the loop thread.
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "base/event_fd.h"

namespace vireo {

class CompletionQueue {
public:
    using Callback = std::function<void(int64_t result)>;

    [[nodiscard]] static Result<CompletionQueue> create()
    {
        auto event = TRY(EventFd::create());
        return CompletionQueue(std::move(event));
    }
    CompletionQueue(CompletionQueue&& other) noexcept
        : m_event(std::move(other.m_event))
        , m_ready(std::move(other.m_ready))
    {
    }

    // Any thread: queue callback(result) and wake the loop.
    void post(Callback callback, int64_t result)
    {
        {
            std::lock_guard lock(m_mutex);
            m_ready.emplace_back(std::move(callback), result);
        }
        m_event.signal();
    }

    // Loop thread: run everything posted so far. Returns how many ran.
    size_t drain()
    {
        m_event.consume();
        std::vector<std::pair<Callback, int64_t>> batch;
        {
            std::lock_guard lock(m_mutex);
            batch.swap(m_ready);
        }
        for (auto& [callback, result] : batch)
            callback(result);
        return batch.size();
    }

    [[nodiscard]] int fd() const { return m_event.fd(); }
    [[nodiscard]] const EventFd& event() const { return m_event; }

private:
    explicit CompletionQueue(EventFd event)
        : m_event(std::move(event))
    {
    }
    EventFd m_event;
    std::mutex m_mutex;
    std::vector<std::pair<Callback, int64_t>> m_ready;
};

} // namespace vireo
