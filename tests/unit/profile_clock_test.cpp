// The exit profiler's clock: CLOCK_MONOTONIC while it measures the TSC's rate, the TSC after,
// in step with CLOCK_MONOTONIC and never backwards.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "profile/profile_clock.h"

using namespace vireo;

TEST(ProfileClock, TakesTheTscAfterCalibratingAndKeepsInStepWithTheMonotonicClock)
{
    ProfileClock clock;
    uint64_t first = clock.now_ns();
    EXPECT_FALSE(clock.calibrated());
    std::this_thread::sleep_for(std::chrono::nanoseconds(ProfileClock::k_calibration_ns + 5'000'000));
    uint64_t second = clock.now_ns();
    EXPECT_TRUE(clock.calibrated());
    EXPECT_GE(second, first);

    uint64_t clock_start = clock.now_ns();
    uint64_t monotonic_start = ProfileClock::monotonic_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    uint64_t clock_span = clock.now_ns() - clock_start;
    uint64_t monotonic_span = ProfileClock::monotonic_ns() - monotonic_start;
    // Both clocks measure the same span: within 5% (the rate was taken over 20 ms).
    EXPECT_NEAR(static_cast<double>(clock_span), static_cast<double>(monotonic_span), 0.05 * static_cast<double>(monotonic_span));

    uint64_t last = 0;
    for (int i = 0; i < 100000; ++i) {
        uint64_t now = clock.now_ns();
        ASSERT_GE(now, last);
        last = now;
    }
}
