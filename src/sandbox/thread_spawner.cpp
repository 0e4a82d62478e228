#include "sandbox/thread_spawner.h"

#include <pthread.h>

#include "sandbox/sandbox.h"
#include "sandbox/serving_thread.h"

namespace vireo::sandbox {

namespace {

ServingThread* g_spawner = nullptr; // set once, before any other thread starts

} // namespace

void start_spawner()
{
    if (!g_spawner)
        g_spawner = ServingThread::start("spawner", ThreadKind::Spawner);
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
    std::thread thread;
    g_spawner->run([&] { thread = std::thread(std::move(start)); });
    return thread;
}

} // namespace vireo::sandbox
