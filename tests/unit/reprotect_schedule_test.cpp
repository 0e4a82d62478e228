#include "kvm/reprotect_schedule.h"

#include <gtest/gtest.h>

#include <vector>

namespace vireo {
namespace {

TEST(ReprotectSchedule, EachWordOfALogIsProtectedOncePerPeriod)
{
    ReprotectSchedule schedule(4);
    const std::vector<uint64_t> log(10, ~uint64_t { 0 });
    std::vector<uint64_t> clear(10);
    std::vector<int> times_cleared(10, 0);
    for (int read = 0; read < 8; ++read) {
        EXPECT_TRUE(schedule.next(log, clear));
        for (size_t word = 0; word < clear.size(); ++word) {
            if (clear[word] != 0) {
                EXPECT_EQ(clear[word], log[word]);
                EXPECT_EQ(word % 4, static_cast<size_t>(read % 4)) << "word " << word << " at read " << read;
                ++times_cleared[word];
            }
        }
    }
    for (int count : times_cleared)
        EXPECT_EQ(count, 2);
}

TEST(ReprotectSchedule, ProtectsOnlyPagesTheLogNames)
{
    ReprotectSchedule schedule(2);
    const std::vector<uint64_t> log { 0b1010, 0, 0x8000'0000'0000'0001 };
    std::vector<uint64_t> clear(3, 0xdead);
    EXPECT_TRUE(schedule.next(log, clear));
    EXPECT_EQ(clear, (std::vector<uint64_t> { 0b1010, 0, 0x8000'0000'0000'0001 }));
    EXPECT_FALSE(schedule.next(log, clear)); // word 1 is this read's stripe, and it is clean
    EXPECT_EQ(clear, (std::vector<uint64_t> { 0, 0, 0 }));
}

TEST(ReprotectSchedule, AQuietLogNeedsNoClear)
{
    ReprotectSchedule schedule;
    const std::vector<uint64_t> log(3, 0);
    std::vector<uint64_t> clear(3, 1);
    for (uint32_t read = 0; read < ReprotectSchedule::k_default_period; ++read)
        EXPECT_FALSE(schedule.next(log, clear));
    EXPECT_EQ(clear, (std::vector<uint64_t> { 0, 0, 0 }));
}

TEST(ReprotectSchedule, APageTheGuestStopsWritingLeavesTheLogWithinOnePeriod)
{
    // A model of KVM under manual protection: a bit stays set until cleared.
    ReprotectSchedule schedule(3);
    std::vector<uint64_t> log(5, 0);
    std::vector<uint64_t> clear(5);
    log[4] = 1; // the guest's last write, then nothing
    int reads = 0;
    while (log[4] != 0) {
        ASSERT_LT(reads, 3);
        if (schedule.next(log, clear))
            for (size_t word = 0; word < log.size(); ++word)
                log[word] &= ~clear[word];
        ++reads;
    }
}

TEST(ReprotectSchedule, APeriodOfZeroProtectsAtEveryRead)
{
    ReprotectSchedule schedule(0);
    const std::vector<uint64_t> log { 1, 2 };
    std::vector<uint64_t> clear(2);
    EXPECT_TRUE(schedule.next(log, clear));
    EXPECT_EQ(clear, log);
}

} // namespace
} // namespace vireo
