#pragma once
// A blocking FIFO between submitters (any thread) and worker threads. After stop(), pop()
// still hands out what was queued and returns nothing once the queue is empty, so no
// request (and no completion callback) is lost at shutdown.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace vireo {

template<typename Item>
class WorkQueue {
public:
    void push(Item item)
    {
        {
            std::lock_guard lock(m_mutex);
            m_queue.push_back(std::move(item));
        }
        m_wake.notify_one();
    }

    // Blocks until an item is queued; nothing once stopped and drained.
    std::optional<Item> pop()
    {
        std::unique_lock lock(m_mutex);
        m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
        if (m_queue.empty())
            return std::nullopt;
        Item item = std::move(m_queue.front());
        m_queue.pop_front();
        return item;
    }

    // The front item if pred(front) holds, without blocking.
    template<typename Pred>
    std::optional<Item> try_pop_if(Pred pred)
    {
        std::lock_guard lock(m_mutex);
        if (m_queue.empty() || !pred(m_queue.front()))
            return std::nullopt;
        Item item = std::move(m_queue.front());
        m_queue.pop_front();
        return item;
    }

    void stop()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Item> m_queue;
    bool m_stopping = false;
};

} // namespace vireo
