#include "kvm/reprotect_schedule.h"

#include <gtest/gtest.h>

#include <vector>

namespace vireo {
namespace {

// KVM's side under manual protection (api.rst 4.118), one 64-page word at a time: a write to a
// protected word faults and sets its bits; a writable word's bits stay set until cleared, and
// clearing protects it again.
class FakeLog {
public:
    explicit FakeLog(size_t words)
        : m_bits(words, 0)
        , m_writable(words, false)
    {
    }
    void write(size_t word)
    {
        if (!m_writable[word]) {
            ++faults;
            m_writable[word] = true;
        }
        m_bits[word] = ~uint64_t { 0 };
    }
    // A refresh: read the log, clear what the schedule says; returns the words named.
    std::vector<bool> refresh(ReprotectSchedule& schedule)
    {
        std::vector<uint64_t> clear(m_bits.size());
        std::vector<bool> named(m_bits.size());
        for (size_t word = 0; word < m_bits.size(); ++word)
            named[word] = m_bits[word] != 0;
        if (schedule.next(m_bits, clear)) {
            for (size_t word = 0; word < m_bits.size(); ++word) {
                EXPECT_EQ(clear[word] & ~m_bits[word], 0u) << "word " << word << ": clears pages the log did not name";
                if (clear[word] != 0) {
                    m_bits[word] &= ~clear[word];
                    m_writable[word] = false;
                }
            }
        }
        return named;
    }
    int faults = 0;

private:
    std::vector<uint64_t> m_bits;
    std::vector<bool> m_writable;
};

TEST(ReprotectSchedule, AWordWrittenNowAndThenIsNamedOnceAndProtectedAtOnce)
{
    // A blinking cursor: word 3 written every 7 refreshes.
    constexpr size_t k_words = 12;
    FakeLog kvm(k_words);
    ReprotectSchedule schedule(k_words);
    int named_reads = 0;
    for (int read = 0; read < 70; ++read) {
        if (read % 7 == 0)
            kvm.write(3);
        auto named = kvm.refresh(schedule);
        named_reads += named[3] ? 1 : 0;
        for (size_t word = 0; word < k_words; ++word)
            EXPECT_TRUE(word == 3 || !named[word]);
    }
    EXPECT_EQ(named_reads, 10); // one per write: a still screen's refresh can back off between
    EXPECT_EQ(kvm.faults, 10);
}

TEST(ReprotectSchedule, WordsRewrittenAtEveryRefreshFaultOnceAPeriod)
{
    // A scrolling console: every word written between every two refreshes.
    constexpr size_t k_words = 12;
    constexpr int k_reads = 80;
    FakeLog kvm(k_words);
    ReprotectSchedule schedule(k_words, 8);
    for (int read = 0; read < k_reads; ++read) {
        for (size_t word = 0; word < k_words; ++word)
            kvm.write(word);
        auto named = kvm.refresh(schedule);
        for (size_t word = 0; word < k_words; ++word)
            EXPECT_TRUE(named[word]) << "a written word must be named at the next read";
    }
    // Without the schedule: k_words * k_reads = 960 faults.
    EXPECT_LE(kvm.faults, static_cast<int>(k_words * k_reads / 8 + 2 * k_words));
}

TEST(ReprotectSchedule, AHotWordTheGuestStopsWritingLeavesTheLogWithinAPeriod)
{
    constexpr size_t k_words = 5;
    FakeLog kvm(k_words);
    ReprotectSchedule schedule(k_words, 4);
    for (int read = 0; read < 10; ++read) {
        kvm.write(2);
        kvm.refresh(schedule);
    }
    int reads = 0;
    while (kvm.refresh(schedule)[2]) {
        ++reads;
        ASSERT_LE(reads, 4) << "still named after a period without writes";
    }
    for (int read = 0; read < 3; ++read) // and quiet from then on
        EXPECT_FALSE(kvm.refresh(schedule)[2]);
}

TEST(ReprotectSchedule, AWriteAfterProtectionIsNeverMissed)
{
    // Whatever the pattern, a word written before a read is named at that read.
    constexpr size_t k_words = 7;
    FakeLog kvm(k_words);
    ReprotectSchedule schedule(k_words, 3);
    uint32_t state = 12345;
    for (int read = 0; read < 500; ++read) {
        std::vector<bool> written(k_words);
        for (size_t word = 0; word < k_words; ++word) {
            state = state * 1103515245 + 12345;
            if ((state >> 16) % 3 == 0) {
                kvm.write(word);
                written[word] = true;
            }
        }
        auto named = kvm.refresh(schedule);
        for (size_t word = 0; word < k_words; ++word)
            EXPECT_TRUE(!written[word] || named[word]) << "read " << read << " word " << word;
    }
}

TEST(ReprotectSchedule, AQuietLogNeedsNoClear)
{
    ReprotectSchedule schedule(3);
    const std::vector<uint64_t> log(3, 0);
    std::vector<uint64_t> clear(3, 1);
    for (uint32_t read = 0; read < 2 * ReprotectSchedule::k_default_period; ++read)
        EXPECT_FALSE(schedule.next(log, clear));
    EXPECT_EQ(clear, (std::vector<uint64_t> { 0, 0, 0 }));
}

TEST(ReprotectSchedule, ClearsOnlyPagesTheLogNames)
{
    ReprotectSchedule schedule(3);
    const std::vector<uint64_t> log { 0b1010, 0, 0x8000'0000'0000'0001 };
    std::vector<uint64_t> clear(3, 0xdead);
    EXPECT_TRUE(schedule.next(log, clear));
    EXPECT_EQ(clear, log);
}

} // namespace
} // namespace vireo
