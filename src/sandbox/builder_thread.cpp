#include "sandbox/builder_thread.h"

#include "sandbox/serving_thread.h"

namespace vireo::sandbox {

namespace {

ServingThread* g_builder = nullptr; // set once, before any other thread starts

} // namespace

void start_builder()
{
    if (!g_builder)
        g_builder = ServingThread::start("builder", ThreadKind::Builder);
}

void run_on_builder(const std::function<void()>& job)
{
    if (!g_builder) {
        job();
        return;
    }
    g_builder->run(job);
}

} // namespace vireo::sandbox
