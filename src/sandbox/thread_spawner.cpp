#include "sandbox/thread_spawner.h"

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>

#include "sandbox/sandbox.h"

namespace vireo::sandbox {

namespace {

struct SpawnRequest {
    std::function<void()> start;
    std::thread thread;
    std::exception_ptr error;
    bool done = false;
};

// Lives as long as the process (its thread never ends; exit_group takes it).
struct Spawner {
    std::mutex mutex;
    std::condition_variable queued;
    std::condition_variable served;
    std::deque<SpawnRequest*> requests;
};
Spawner* g_spawner = nullptr;

void serve(Spawner& spawner)
{
    enter_or_exit(ThreadKind::Spawner);
    std::unique_lock lock(spawner.mutex);
    for (;;) {
        spawner.queued.wait(lock, [&] { return !spawner.requests.empty(); });
        SpawnRequest* request = spawner.requests.front();
        spawner.requests.pop_front();
        try {
            request->thread = std::thread(std::move(request->start));
        } catch (...) {
            request->error = std::current_exception();
        }
        request->done = true;
        spawner.served.notify_all();
    }
}

} // namespace

void start_spawner()
{
    if (g_spawner)
        return;
    auto* spawner = new Spawner;
    std::thread([spawner] {
        ::pthread_setname_np(::pthread_self(), "spawner");
        serve(*spawner);
    }).detach();
    g_spawner = spawner;
}

std::thread spawn_thread(ThreadKind kind, const std::string& name, std::function<void()> body,
    std::function<void()> setup)
{
    auto start = [kind, name, body = std::move(body), setup = std::move(setup)] {
        ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
        if (setup)
            setup();
        enter_or_exit(kind);
        body();
    };
    if (!g_spawner)
        return std::thread(std::move(start));
    SpawnRequest request { std::move(start), {}, {}, false };
    std::unique_lock lock(g_spawner->mutex);
    g_spawner->requests.push_back(&request);
    g_spawner->queued.notify_one();
    g_spawner->served.wait(lock, [&] { return request.done; });
    if (request.error)
        std::rethrow_exception(request.error);
    return std::move(request.thread);
}

} // namespace vireo::sandbox
