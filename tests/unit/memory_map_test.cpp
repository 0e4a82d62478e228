#include <gtest/gtest.h>

#include "machine/memory_map.h"
#include "machine/pc_layout.h"

using namespace vireo;

TEST(MemoryMap, SmallGuestHasOneLowRegionAndFourE820Ranges)
{
    auto layout = compute_memory_layout(256ULL << 20).value();

    ASSERT_EQ(layout.ram_regions.size(), 1u);
    EXPECT_EQ(layout.ram_regions[0].start, 0u);
    EXPECT_EQ(layout.ram_regions[0].size, 256ULL << 20);
    EXPECT_EQ(layout.low_ram_end, 256ULL << 20);
    EXPECT_EQ(layout.ram_top, 256ULL << 20);
    ASSERT_EQ(layout.e820.size(), 3u);
    EXPECT_EQ(layout.e820[0], (E820Entry { 0, 0x9fc00, E820Type::Ram }));
    EXPECT_EQ(layout.e820[1], (E820Entry { 0x9fc00, 0x100000 - 0x9fc00, E820Type::Reserved }));
    EXPECT_EQ(layout.e820[2], (E820Entry { 0x100000, (256ULL << 20) - 0x100000, E820Type::Ram }));
}

TEST(MemoryMap, FourGibGuestSplitsAroundThePciHole)
{
    auto layout = compute_memory_layout(4ULL << 30).value();

    ASSERT_EQ(layout.ram_regions.size(), 2u);
    EXPECT_EQ(layout.ram_regions[0].size, 3ULL << 30);
    EXPECT_EQ(layout.ram_regions[1].start, 4ULL << 30);
    EXPECT_EQ(layout.ram_regions[1].size, 1ULL << 30);
    EXPECT_EQ(layout.low_ram_end, pc::k_low_ram_max);
    EXPECT_EQ(layout.ram_top, 5ULL << 30);
    ASSERT_EQ(layout.e820.size(), 4u);
    EXPECT_EQ(layout.e820[2], (E820Entry { 0x100000, (3ULL << 30) - 0x100000, E820Type::Ram }));
    EXPECT_EQ(layout.e820[3], (E820Entry { 4ULL << 30, 1ULL << 30, E820Type::Ram }));
}

TEST(MemoryMap, ExactlyThreeGibHasNoHighRegion)
{
    auto layout = compute_memory_layout(3ULL << 30).value();
    EXPECT_EQ(layout.ram_regions.size(), 1u);
    EXPECT_EQ(layout.e820.size(), 3u);
}

TEST(MemoryMap, RejectsTinyOrUnalignedSizes)
{
    EXPECT_FALSE(compute_memory_layout(8ULL << 20));
    EXPECT_FALSE(compute_memory_layout((64ULL << 20) + 1));
    EXPECT_TRUE(compute_memory_layout(16ULL << 20));
}
