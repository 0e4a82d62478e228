// The event loop's own behaviour: handlers run on the loop thread, and the thread runs with
// SCHED_BATCH only while it runs the loop.
#include <gtest/gtest.h>

#include <sched.h>

#include "base/event_fd.h"
#include "base/event_loop.h"

namespace vireo {
namespace {

TEST(EventLoop, RunsHandlersWithBatchSchedulingAndRestoresThePolicy)
{
    auto loop = EventLoop::create().value();
    auto event = EventFd::create().value();
    int policy_inside = -1;
    ASSERT_TRUE(loop->add(event.fd(), EPOLLIN, [&](uint32_t) {
        event.consume();
        policy_inside = ::sched_getscheduler(0);
        loop->stop();
    }));
    int before = ::sched_getscheduler(0);
    event.signal();

    loop->run();

    if (before == SCHED_OTHER) {
        EXPECT_EQ(policy_inside, SCHED_BATCH); // a woken loop does not preempt a running vCPU
    }
    EXPECT_EQ(::sched_getscheduler(0), before); // threads made after run() do not inherit it
    loop->remove(event.fd());
}

} // namespace
} // namespace vireo
