// The thread-pool I/O engine: a few threads run blocking preadv/pwritev/fdatasync; finished
// requests go to a CompletionQueue whose eventfd the event loop watches.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "block/completion_queue.h"
#include "block/io_engine.h"

namespace vireo {

namespace {

class ThreadPoolEngine final : public IoEngine {
public:
    ThreadPoolEngine(CompletionQueue completions, unsigned threads)
        : m_completions(std::move(completions))
    {
        for (unsigned i = 0; i < threads; ++i)
            m_threads.emplace_back([this] { worker(); });
    }
    ~ThreadPoolEngine() override
    {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        for (auto& thread : m_threads)
            thread.join();
    }

    IoEngineKind kind() const override { return IoEngineKind::ThreadPool; }

    void submit(IoRequest request, IoCallback callback) override
    {
        {
            std::lock_guard lock(m_mutex);
            m_queue.emplace_back(std::move(request), std::move(callback));
        }
        m_wake.notify_one();
    }
    void post(IoCallback callback, int64_t result) override { m_completions.post(std::move(callback), result); }
    int completion_fd() const override { return m_completions.fd(); }
    void process_completions() override { m_completions.drain(); }

private:
    void worker()
    {
        for (;;) {
            std::pair<IoRequest, IoCallback> item;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
                // Drain the queue before stopping so no callback is lost.
                if (m_queue.empty())
                    return;
                item = std::move(m_queue.front());
                m_queue.pop_front();
            }
            int64_t result = perform_io(item.first);
            m_completions.post(std::move(item.second), result);
        }
    }

    CompletionQueue m_completions;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::pair<IoRequest, IoCallback>> m_queue;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

} // namespace

Result<std::unique_ptr<IoEngine>> create_thread_pool_engine(unsigned threads)
{
    auto completions = TRY(CompletionQueue::create());
    return std::make_unique<ThreadPoolEngine>(std::move(completions), threads == 0 ? 1 : threads);
}

} // namespace vireo
