#pragma once
// A thread that runs other threads' jobs, one at a time, under its own kind's filter, while the
// caller waits: the spawner (thread_spawner.h) and the builder (builder_thread.h) are two. It
// lives as long as the process (exit_group ends it); it is started before any filter, so it
// carries only its own.
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

class ServingThread {
public:
    // Starts the thread named `name`; it enters the filter of `kind` before its first job.
    [[nodiscard]] static ServingThread* start(const char* name, ThreadKind kind);

    // Runs `job` on the thread and returns when it has ended; what it throws is thrown here. A
    // job that asks its own thread for another runs that one at once.
    void run(const std::function<void()>& job);

private:
    struct Request {
        const std::function<void()>* job = nullptr;
        std::exception_ptr error;
        bool done = false;
    };

    ServingThread() = default;
    [[noreturn]] void serve(ThreadKind kind);

    std::thread::id m_id; // set before start() returns
    std::mutex m_mutex;
    std::condition_variable m_queued;
    std::condition_variable m_served;
    std::deque<Request*> m_requests;
};

} // namespace vireo::sandbox
