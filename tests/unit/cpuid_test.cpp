#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "machine/cpuid.h"

using namespace vireo;

namespace {

kvm_cpuid_entry2 entry(uint32_t function, uint32_t index, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx,
    uint32_t flags = 0)
{
    kvm_cpuid_entry2 e {};
    e.function = function;
    e.index = index;
    e.flags = flags;
    e.eax = eax;
    e.ebx = ebx;
    e.ecx = ecx;
    e.edx = edx;
    return e;
}

// A plausible KVM_GET_SUPPORTED_CPUID answer from an Intel host with 8 cores / 16 threads.
std::vector<kvm_cpuid_entry2> supported()
{
    constexpr uint32_t sig = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
    return {
        entry(0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69),
        entry(1, 0, 0x000906ea, 0x10100800, 0x7ffafbff, 0xbfebfbff & ~(1u << 28)),
        entry(4, 0, (1 << 5) | 1 | (1 << 14) | (7u << 26), 0, 0, 0, sig), // L1d, 2 sharing on host
        entry(4, 1, (3 << 5) | 3 | (15 << 14) | (7u << 26), 0, 0, 0, sig), // L3
        entry(4, 2, 0, 0, 0, 0, sig),
        entry(7, 0, 0, 0x029c6fbf, 0, 0, sig),
        entry(0xb, 0, 1, 2, 0x100, 5, sig),
        entry(0xb, 1, 4, 16, 0x201, 5, sig),
        entry(0x1f, 0, 1, 2, 0x100, 5, sig),
        entry(0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d),
        entry(0x40000001, 0, 0x01007afb, 0, 0, 1),
        entry(0x80000008, 0, 0x3027, 0, 0, 0),
    };
}

std::optional<kvm_cpuid_entry2> find(const std::vector<kvm_cpuid_entry2>& entries, uint32_t function,
    uint32_t index = 0)
{
    for (const auto& e : entries)
        if (e.function == function && e.index == index)
            return e;
    return std::nullopt;
}

size_t count(const std::vector<kvm_cpuid_entry2>& entries, uint32_t function)
{
    return static_cast<size_t>(
        std::count_if(entries.begin(), entries.end(), [&](const auto& e) { return e.function == function; }));
}

} // namespace

TEST(Cpuid, ApicIdsPackThreadCoreSocket)
{
    CpuTopology topology { 2, 2, 2 };
    std::vector<uint32_t> ids;
    for (uint32_t i = 0; i < 8; ++i)
        ids.push_back(apic_id_of(topology, i));
    EXPECT_EQ(ids, (std::vector<uint32_t> { 0, 1, 2, 3, 4, 5, 6, 7 }));

    CpuTopology odd { 2, 3, 1 }; // core field 2 bits wide: socket 1 starts at 4
    EXPECT_EQ(apic_id_of(odd, 2), 2u);
    EXPECT_EQ(apic_id_of(odd, 3), 4u);
    EXPECT_EQ(apic_id_of(odd, 5), 6u);
    EXPECT_EQ(apic_id_field_width(1), 0u);
    EXPECT_EQ(apic_id_field_width(3), 2u);
    EXPECT_EQ(apic_id_field_width(4), 2u);
}

TEST(Cpuid, Leaf1CarriesApicIdAndLogicalCount)
{
    auto entries = compose_cpuid(supported(), CpuTopology { 2, 2, 2 }, 6);
    auto leaf1 = find(entries, 1).value();
    EXPECT_EQ(leaf1.ebx >> 24, 6u);
    EXPECT_EQ((leaf1.ebx >> 16) & 0xff, 4u);
    EXPECT_EQ((leaf1.ebx >> 8) & 0xff, 8u);
    EXPECT_TRUE(leaf1.edx & (1u << 28));
    EXPECT_TRUE(leaf1.ecx & (1u << 31));

    auto single = find(compose_cpuid(supported(), CpuTopology {}, 0), 1).value();
    EXPECT_FALSE(single.edx & (1u << 28));
}

TEST(Cpuid, TscDeadlineOnlyWhenTheIrqchipHasIt)
{
    constexpr uint32_t tsc_deadline = 1u << 24;
    auto table = supported(); // KVM leaves the bit out of its supported table
    for (auto& e : table)
        if (e.function == 1)
            e.ecx &= ~tsc_deadline;
    EXPECT_FALSE(find(compose_cpuid(table, CpuTopology {}, 0), 1).value().ecx & tsc_deadline);
    auto with = find(compose_cpuid(table, CpuTopology {}, 0, { .tsc_deadline_timer = true }), 1).value();
    EXPECT_TRUE(with.ecx & tsc_deadline);
}

TEST(Cpuid, ExtendedTopologyLeaves)
{
    auto entries = compose_cpuid(supported(), CpuTopology { 2, 2, 2 }, 5); // socket 1, core 0, thread 1
    ASSERT_EQ(count(entries, 0xb), 3u);
    auto smt = find(entries, 0xb, 0).value();
    auto core = find(entries, 0xb, 1).value();
    auto end = find(entries, 0xb, 2).value();
    EXPECT_EQ(smt.eax, 1u);
    EXPECT_EQ(smt.ebx, 2u);
    EXPECT_EQ(smt.ecx, 0x100u);
    EXPECT_EQ(smt.edx, 5u);
    EXPECT_EQ(core.eax, 2u);
    EXPECT_EQ(core.ebx, 4u);
    EXPECT_EQ(core.ecx, 0x201u);
    EXPECT_EQ(end.ebx, 0u);
    EXPECT_EQ(end.ecx, 2u);
    EXPECT_TRUE(smt.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
    ASSERT_EQ(count(entries, 0x1f), 3u);
    EXPECT_EQ(find(entries, 0x1f, 1)->ecx, 0x201u);
}

TEST(Cpuid, CacheLeafDescribesGuestSharing)
{
    auto entries = compose_cpuid(supported(), CpuTopology { 1, 4, 2 }, 0);
    auto l1 = find(entries, 4, 0).value();
    auto l3 = find(entries, 4, 1).value();
    EXPECT_EQ((l1.eax >> 26) & 0x3f, 3u);     // 4 cores - 1
    EXPECT_EQ((l1.eax >> 14) & 0xfff, 1u);    // 2 threads share L1
    EXPECT_EQ((l3.eax >> 14) & 0xfff, 7u);    // the package shares L3
    EXPECT_EQ(l1.eax & 0x3fff, (1u << 5) | 1); // type and level kept
    EXPECT_EQ(find(entries, 4, 2)->eax, 0u);
    auto amd = find(entries, 0x80000008).value();
    EXPECT_EQ((amd.ecx >> 12) & 0xf, 3u);
    EXPECT_EQ(amd.ecx & 0xff, 7u);
}

TEST(Cpuid, KvmSignatureLeaves)
{
    auto entries = compose_cpuid(supported(), CpuTopology {}, 0);
    auto signature = find(entries, 0x40000000).value();
    char text[13] {};
    std::memcpy(text, &signature.ebx, 4);
    std::memcpy(text + 4, &signature.ecx, 4);
    std::memcpy(text + 8, &signature.edx, 4);
    EXPECT_STREQ(text, "KVMKVMKVM");
    EXPECT_EQ(signature.eax, 0x40000001u);
    auto features = find(entries, 0x40000001).value();
    EXPECT_EQ(features.eax, 0x01007afbu); // kvmclock and friends as KVM offers
    EXPECT_EQ(features.edx & 1, 0u);      // no KVM_HINTS_REALTIME

    std::vector<kvm_cpuid_entry2> bare { entry(0, 0, 0xd, 0, 0, 0), entry(1, 0, 0, 0, 0, 0) };
    auto added = compose_cpuid(bare, CpuTopology {}, 0);
    EXPECT_EQ(count(added, 0x40000000), 1u);
    EXPECT_EQ(count(added, 0x40000001), 1u);
    EXPECT_EQ(count(added, 0xb), 3u);
    EXPECT_EQ(count(added, 0x1f), 0u);
}

TEST(Cpuid, OtherLeavesAreKept)
{
    auto entries = compose_cpuid(supported(), CpuTopology { 1, 2, 1 }, 1);
    auto leaf7 = find(entries, 7).value();
    EXPECT_EQ(leaf7.ebx, 0x029c6fbfu);
    EXPECT_TRUE(leaf7.flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
    EXPECT_EQ(find(entries, 0)->eax, 0x1fu);
}
