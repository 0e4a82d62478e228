// The thread-pool I/O engine: a few threads run blocking preadv/pwritev/fdatasync; finished
// requests go to a CompletionQueue whose eventfd the event loop watches.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "block/completion_queue.h"
#include "block/io_engine.h"
#include "block/work_queue.h"
#include "sandbox/thread_spawner.h"

namespace vireo {

namespace {

class ThreadPoolEngine final : public IoEngine {
public:
    ThreadPoolEngine(CompletionQueue completions, unsigned threads)
        : m_completions(std::move(completions))
    {
        for (unsigned i = 0; i < threads; ++i)
            m_threads.push_back(sandbox::spawn_thread(sandbox::ThreadKind::IoWorker, "io-worker", [this] { worker(); }));
    }
    ~ThreadPoolEngine() override
    {
        m_queue.stop();
        for (auto& thread : m_threads)
            thread.join();
    }

    IoEngineKind kind() const override { return IoEngineKind::ThreadPool; }

    void submit(IoRequest request, IoCallback callback) override
    {
        m_queue.push({ std::move(request), std::move(callback) });
    }
    void post(IoCallback callback, int64_t result) override { m_completions.post(std::move(callback), result); }
    int completion_fd() const override { return m_completions.fd(); }
    void process_completions() override { m_completions.drain(); }

private:
    void worker()
    {
        while (auto item = m_queue.pop()) {
            int64_t result = perform_io(item->first);
            m_completions.post(std::move(item->second), result);
        }
    }

    CompletionQueue m_completions;
    WorkQueue<std::pair<IoRequest, IoCallback>> m_queue;
    std::vector<std::thread> m_threads;
};

} // namespace

Result<std::unique_ptr<IoEngine>> create_thread_pool_engine(unsigned threads)
{
    auto completions = TRY(CompletionQueue::create());
    return std::make_unique<ThreadPoolEngine>(std::move(completions), threads == 0 ? 1 : threads);
}

} // namespace vireo
