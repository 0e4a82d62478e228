#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "memory/guest_memory.h"

using namespace vireo;

namespace {

GuestMemory two_regions()
{
    std::array<GuestRegionSpec, 2> specs { GuestRegionSpec { 0, 0x10000 }, GuestRegionSpec { 0x100000, 0x2000 } };
    return GuestMemory::create(specs).value();
}

} // namespace

TEST(GuestMemory, ReadsBackWhatWasWritten)
{
    auto memory = two_regions();
    ASSERT_TRUE(memory.write_obj<uint32_t>(0x100ffc, 0xdeadbeef));
    EXPECT_EQ(memory.read_obj<uint32_t>(0x100ffc).value(), 0xdeadbeefu);
}

TEST(GuestMemory, RejectsRangesOutsideOrAcrossRegions)
{
    auto memory = two_regions();
    EXPECT_FALSE(memory.read_obj<uint32_t>(0xfffe)); // crosses the end of region 0
    EXPECT_FALSE(memory.read_obj<uint8_t>(0x10000)); // in the hole
    EXPECT_FALSE(memory.slice(0x101000, 0x1001));
    EXPECT_FALSE(memory.slice(0x100000, ~0ULL)); // would wrap
    EXPECT_FALSE(memory.slice(~0ULL - 3, 8));
    EXPECT_TRUE(memory.slice(0x100000, 0x2000));
}

TEST(GuestMemory, RefusesOverlappingRegions)
{
    std::array<GuestRegionSpec, 2> specs { GuestRegionSpec { 0, 0x2000 }, GuestRegionSpec { 0x1000, 0x1000 } };
    EXPECT_FALSE(GuestMemory::create(specs));
}

TEST(GuestMemory, MemfdBackingSharesOneFileAcrossRegions)
{
    std::array<GuestRegionSpec, 2> specs { GuestRegionSpec { 0, 0x2000 }, GuestRegionSpec { 0x100000, 0x1000 } };
    auto memory = GuestMemory::create(specs, GuestMemory::Backing::Memfd).value();
    ASSERT_GE(memory.fd(), 0);
    ASSERT_TRUE(memory.write_obj<uint64_t>(0x100000, 0x1122334455667788));
    uint64_t from_file = 0;
    // region 1 starts after region 0's 0x2000 bytes in the file
    ASSERT_EQ(::pread(memory.fd(), &from_file, sizeof(from_file), 0x2000), 8);
    EXPECT_EQ(from_file, 0x1122334455667788u);
}

TEST(GuestMemory, AnonymousBackingHasNoFd)
{
    auto memory = two_regions();
    EXPECT_LT(memory.fd(), 0);
    EXPECT_EQ(memory.total_size(), 0x12000u);
}

// -overcommit mem-lock=on: guest RAM is mlocked (VmLck counts it); mem-merge: MADV_MERGEABLE.
TEST(GuestMemory, LockedRamCountsAsLocked)
{
#ifdef VIREO_SANITIZER_BUILD
    GTEST_SKIP() << "AddressSanitizer's mlock interceptor does nothing";
#endif
    auto locked_kib = [] {
        std::ifstream status("/proc/self/status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.starts_with("VmLck:"))
                return std::stoull(line.substr(6));
        }
        return 0ULL;
    };
    auto before = locked_kib();
    std::array specs { GuestRegionSpec { 0, 64 * 1024 } };
    auto memory = GuestMemory::create(specs, GuestMemory::Backing::Anonymous,
        GuestRamPolicy { .mergeable = true, .locked = true });
    if (!memory && (memory.error().code == EPERM || memory.error().code == ENOMEM))
        GTEST_SKIP() << "RLIMIT_MEMLOCK too low here: " << memory.error().describe();
    ASSERT_TRUE(memory) << memory.error().describe();
    EXPECT_GE(locked_kib(), before + 64);
}
