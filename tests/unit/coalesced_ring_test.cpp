// The coalesced-write ring: writes come out oldest first, across the ring's end, and the ring's
// head moves on so KVM can reuse the entries.
#include "kvm/coalesced_ring.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace vireo {
namespace {

// A ring page laid out as KVM's (C) header has it: u32 first, u32 last, then 24-byte entries.
struct RingPage {
    alignas(4096) uint8_t bytes[4096] {};
    static constexpr uint32_t k_entries = (4096 - 8) / 24;
    uint32_t& first() { return *reinterpret_cast<uint32_t*>(bytes); }
    uint32_t& last() { return *reinterpret_cast<uint32_t*>(bytes + 4); }
    uint8_t* entry(uint32_t index) { return bytes + 8 + 24 * index; }

    // What KVM does for a coalesced write (phys_addr u64, len u32, pio u32, data[8]).
    void push(uint64_t address, uint8_t value, bool pio = true, uint32_t length = 1)
    {
        uint8_t* at = entry(last());
        uint32_t pio_word = pio ? 1 : 0;
        std::memcpy(at, &address, 8);
        std::memcpy(at + 8, &length, 4);
        std::memcpy(at + 12, &pio_word, 4);
        at[16] = value;
        last() = (last() + 1) % k_entries;
    }
};

struct Seen {
    bool pio;
    uint64_t address;
    std::vector<uint8_t> data;
};

std::vector<Seen> drain(CoalescedRing& ring)
{
    std::vector<Seen> seen;
    ring.drain([&](const CoalescedRing::Write& write) {
        seen.push_back({ write.pio, write.address, { write.data.begin(), write.data.end() } });
    });
    return seen;
}

TEST(CoalescedRing, EmptyRingCallsNothing)
{
    RingPage page;
    CoalescedRing ring(page.bytes);
    EXPECT_TRUE(drain(ring).empty());
}

TEST(CoalescedRing, WritesComeOutInGuestOrderAndFreeTheirEntries)
{
    RingPage page;
    CoalescedRing ring(page.bytes);
    page.push(0x1f2, 8);
    page.push(0x1f3, 0x40);
    page.push(0x1f6, 0xe0);
    auto seen = drain(ring);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].address, 0x1f2u);
    EXPECT_EQ(seen[1].data, std::vector<uint8_t> { 0x40 });
    EXPECT_EQ(seen[0].data.size(), 1u);
    EXPECT_EQ(seen[2].address, 0x1f6u);
    EXPECT_TRUE(seen[2].pio);
    EXPECT_EQ(page.first(), page.last());
    EXPECT_TRUE(drain(ring).empty());
}

TEST(CoalescedRing, WrapsAroundTheEndOfThePage)
{
    RingPage page;
    page.first() = page.last() = RingPage::k_entries - 1;
    CoalescedRing ring(page.bytes);
    page.push(0x171, 1);
    page.push(0x172, 2, false);
    auto seen = drain(ring);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].address, 0x171u);
    EXPECT_EQ(seen[1].address, 0x172u);
    EXPECT_FALSE(seen[1].pio);
    EXPECT_EQ(page.first(), 1u);
}

TEST(CoalescedRing, AnOversizedLengthIsCutToTheEntry)
{
    RingPage page;
    CoalescedRing ring(page.bytes);
    page.push(0x1f1, 7, true, 4096);
    auto seen = drain(ring);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].data.size(), 8u);
}

} // namespace
} // namespace vireo
