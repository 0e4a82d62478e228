#include "sandbox/serving_thread.h"

#include <pthread.h>

#include "sandbox/sandbox.h"

namespace vireo::sandbox {

ServingThread* ServingThread::start(const char* name, ThreadKind kind)
{
    auto* serving = new ServingThread; // for the life of the process
    std::thread thread([serving, name, kind] {
        ::pthread_setname_np(::pthread_self(), name);
        serving->serve(kind);
    });
    serving->m_id = thread.get_id();
    thread.detach();
    return serving;
}

void ServingThread::serve(ThreadKind kind)
{
    enter_or_exit(kind);
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_queued.wait(lock, [&] { return !m_requests.empty(); });
        Request* request = m_requests.front();
        m_requests.pop_front();
        lock.unlock();
        try {
            (*request->job)();
        } catch (...) {
            request->error = std::current_exception();
        }
        lock.lock();
        request->done = true;
        m_served.notify_all();
    }
}

void ServingThread::run(const std::function<void()>& job)
{
    if (std::this_thread::get_id() == m_id) {
        job();
        return;
    }
    Request request { &job, {}, false };
    std::unique_lock lock(m_mutex);
    m_requests.push_back(&request);
    m_queued.notify_one();
    m_served.wait(lock, [&] { return request.done; });
    if (request.error)
        std::rethrow_exception(request.error);
}

} // namespace vireo::sandbox
