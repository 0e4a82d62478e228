// Guest RAM must sit at host addresses congruent to its guest-physical addresses modulo 2 MiB,
// or KVM cannot map it with huge pages.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "memory/guest_memory.h"

namespace vireo {
namespace {

constexpr uint64_t k_2m = 2ULL << 20;

uint64_t host_of(const GuestMemory& memory, uint64_t address)
{
    auto slice = memory.slice(address, 1);
    EXPECT_TRUE(slice.has_value());
    return reinterpret_cast<uintptr_t>(slice->data());
}

TEST(GuestMemoryAlignment, HostAddressesAgreeWithGuestAddressesModulo2MiB)
{
    for (auto backing : { GuestMemory::Backing::Anonymous, GuestMemory::Backing::Memfd }) {
        // Several regions, one of them starting off a 2 MiB boundary.
        std::vector<GuestRegionSpec> specs { { 0, 6 * k_2m }, { 1ULL << 32, 4 * k_2m }, { (1ULL << 33) + 0x101000, 0x300000 } };
        auto memory = GuestMemory::create(specs, backing);
        ASSERT_TRUE(memory.has_value()) << memory.error().describe();
        for (const auto& spec : specs) {
            EXPECT_EQ(host_of(*memory, spec.start) % k_2m, spec.start % k_2m);
            EXPECT_EQ(host_of(*memory, spec.start + spec.size - 1) % k_2m, (spec.start + spec.size - 1) % k_2m);
        }
        // Still ordinary RAM: writable and readable at both ends of each region.
        for (const auto& spec : specs) {
            uint32_t value = 0x5a5a1234;
            ASSERT_TRUE(memory->write(spec.start + spec.size - 4, std::span(reinterpret_cast<const uint8_t*>(&value), 4)).has_value());
            uint32_t back = 0;
            ASSERT_TRUE(memory->read(spec.start + spec.size - 4, std::span(reinterpret_cast<uint8_t*>(&back), 4)).has_value());
            EXPECT_EQ(back, value);
        }
    }
}

} // namespace
} // namespace vireo
