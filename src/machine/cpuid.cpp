#include "machine/cpuid.h"

#include <algorithm>
#include <cstring>

namespace vireo {

namespace {

constexpr uint32_t k_leaf_basic = 0x0;
constexpr uint32_t k_leaf_features = 0x1;
constexpr uint32_t k_leaf_cache = 0x4;
constexpr uint32_t k_leaf_topology = 0xb;
constexpr uint32_t k_leaf_topology_v2 = 0x1f;
constexpr uint32_t k_leaf_kvm_signature = 0x4000'0000;
constexpr uint32_t k_leaf_kvm_features = 0x4000'0001;
constexpr uint32_t k_leaf_amd_address_sizes = 0x8000'0008;
constexpr uint32_t k_leaf_amd_cache = 0x8000'001d;
constexpr uint32_t k_leaf_amd_topology = 0x8000'001e;

constexpr uint32_t k_leaf1_edx_htt = 1u << 28;
constexpr uint32_t k_leaf1_ecx_hypervisor = 1u << 31;
constexpr uint32_t k_leaf1_ecx_tsc_deadline = 1u << 24;
constexpr uint32_t k_kvm_hints_realtime = 1u << 0; // KVM cpuid.rst: only for dedicated pCPUs

// Level types of leaves 0xB/0x1F (ECX[15:8]).
constexpr uint32_t k_level_invalid = 0;
constexpr uint32_t k_level_smt = 1;
constexpr uint32_t k_level_core = 2;

struct TopologyShape {
    uint32_t thread_bits;
    uint32_t core_bits;
    uint32_t apic_id;
    uint32_t thread;
    uint32_t core;
    uint32_t socket;
};

TopologyShape shape_of(const CpuTopology& topology, uint32_t vcpu_index)
{
    TopologyShape shape;
    shape.thread_bits = apic_id_field_width(topology.threads);
    shape.core_bits = apic_id_field_width(topology.cores);
    shape.thread = vcpu_index % topology.threads;
    shape.core = (vcpu_index / topology.threads) % topology.cores;
    shape.socket = vcpu_index / (topology.threads * topology.cores);
    shape.apic_id = apic_id_of(topology, vcpu_index);
    return shape;
}

kvm_cpuid_entry2 indexed_entry(uint32_t function, uint32_t index)
{
    kvm_cpuid_entry2 entry {};
    entry.function = function;
    entry.index = index;
    entry.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
    return entry;
}

// Leaves 0xB and 0x1F: an SMT level, a core level and the invalid level that ends the list
// (Intel SDM vol. 2A, CPUID leaf 0BH). EAX is the shift to the next level's ID, EBX the number
// of logical processors at this level, EDX the x2APIC ID.
void append_extended_topology(std::vector<kvm_cpuid_entry2>& entries, uint32_t function,
    const CpuTopology& topology, const TopologyShape& shape)
{
    auto smt = indexed_entry(function, 0);
    smt.eax = shape.thread_bits;
    smt.ebx = topology.threads;
    smt.ecx = (k_level_smt << 8) | 0;
    smt.edx = shape.apic_id;
    auto core = indexed_entry(function, 1);
    core.eax = shape.thread_bits + shape.core_bits;
    core.ebx = topology.threads * topology.cores;
    core.ecx = (k_level_core << 8) | 1;
    core.edx = shape.apic_id;
    auto end = indexed_entry(function, 2);
    end.ecx = (k_level_invalid << 8) | 2;
    end.edx = shape.apic_id;
    entries.push_back(smt);
    entries.push_back(core);
    entries.push_back(end);
}

// Bits [25:14] of leaf 4 / 0x8000001D EAX: IDs sharing this cache - 1. L1 and L2 are per
// core, L3 and beyond per package.
uint32_t with_cache_sharing(uint32_t eax, const TopologyShape& shape)
{
    const uint32_t level = (eax >> 5) & 0x7;
    const uint32_t bits = level <= 2 ? shape.thread_bits : shape.thread_bits + shape.core_bits;
    const uint32_t sharing = static_cast<uint32_t>(std::min((uint64_t(1) << bits) - 1, uint64_t(0xfff)));
    return (eax & ~(0xfffu << 14)) | (sharing << 14);
}

} // namespace

uint32_t apic_id_field_width(uint32_t count)
{
    uint32_t width = 0;
    while (width < 32 && (1ull << width) < count)
        ++width;
    return width;
}

uint32_t apic_id_of(const CpuTopology& topology, uint32_t vcpu_index)
{
    const auto shape_threads = std::max(topology.threads, 1u);
    const auto shape_cores = std::max(topology.cores, 1u);
    const uint32_t thread_bits = apic_id_field_width(shape_threads);
    const uint32_t core_bits = apic_id_field_width(shape_cores);
    const uint32_t thread = vcpu_index % shape_threads;
    const uint32_t core = (vcpu_index / shape_threads) % shape_cores;
    const uint32_t socket = vcpu_index / (shape_threads * shape_cores);
    // 64-bit shifts: absurd counts give wrong IDs, never undefined behaviour.
    const uint64_t id
        = uint64_t(thread) | (uint64_t(core) << thread_bits) | (uint64_t(socket) << (thread_bits + core_bits));
    return static_cast<uint32_t>(id);
}

std::vector<kvm_cpuid_entry2> compose_cpuid(std::span<const kvm_cpuid_entry2> supported,
    const CpuTopology& requested, uint32_t vcpu_index, CpuidExtras extras)
{
    CpuTopology topology = requested;
    topology.sockets = std::max(topology.sockets, 1u);
    topology.cores = std::max(topology.cores, 1u);
    topology.threads = std::max(topology.threads, 1u);
    const TopologyShape shape = shape_of(topology, vcpu_index);
    const uint32_t package_bits = shape.thread_bits + shape.core_bits;
    const uint32_t logical_per_package = topology.threads * topology.cores;

    uint32_t max_basic_leaf = 0;
    bool has_topology_v2 = false;
    bool has_kvm_signature = false;
    bool has_kvm_features = false;
    std::vector<kvm_cpuid_entry2> entries;
    entries.reserve(supported.size() + 8);
    for (const auto& original : supported) {
        if (original.function == k_leaf_topology || original.function == k_leaf_topology_v2) {
            has_topology_v2 |= original.function == k_leaf_topology_v2;
            continue; // rebuilt below
        }
        kvm_cpuid_entry2 entry = original;
        switch (entry.function) {
        case k_leaf_basic:
            max_basic_leaf = entry.eax;
            break;
        case k_leaf_features: {
            // EBX: [31:24] initial APIC ID, [23:16] addressable logical processors per package,
            // [15:8] CLFLUSH line size in 8-byte units.
            const uint32_t addressable = static_cast<uint32_t>(std::min(uint64_t(1) << package_bits, uint64_t(255)));
            uint32_t clflush = (entry.ebx >> 8) & 0xff;
            if (clflush == 0)
                clflush = 8;
            entry.ebx = ((shape.apic_id & 0xff) << 24) | (addressable << 16) | (clflush << 8) | (entry.ebx & 0xff);
            if (logical_per_package > 1)
                entry.edx |= k_leaf1_edx_htt;
            else
                entry.edx &= ~k_leaf1_edx_htt;
            entry.ecx |= k_leaf1_ecx_hypervisor;
            // Without it the guest calibrates the LAPIC timer against the PIT, which fails on
            // a loaded host ("APIC timer disabled due to verification failure") and leaves it
            // ticking from the PIT.
            if (extras.tsc_deadline_timer)
                entry.ecx |= k_leaf1_ecx_tsc_deadline;
            break;
        }
        case k_leaf_cache: {
            if ((entry.eax & 0x1f) == 0)
                break; // no more caches
            // EAX[31:26]: addressable core IDs per package - 1.
            entry.eax = with_cache_sharing(entry.eax, shape);
            const auto core_ids = std::min((uint64_t(1) << shape.core_bits) - 1, uint64_t(0x3f));
            entry.eax = (entry.eax & ~(0x3fu << 26)) | (static_cast<uint32_t>(core_ids) << 26);
            break;
        }
        case k_leaf_kvm_signature:
            has_kvm_signature = true;
            break;
        case k_leaf_kvm_features:
            has_kvm_features = true;
            entry.edx &= ~k_kvm_hints_realtime;
            break;
        case k_leaf_amd_address_sizes:
            // ECX: [15:12] APIC ID bits for the thread within the package, [7:0] threads - 1.
            entry.ecx = (entry.ecx & ~0xf0ffu) | ((package_bits & 0xf) << 12) | ((logical_per_package - 1) & 0xff);
            break;
        case k_leaf_amd_cache:
            if ((entry.eax & 0x1f) != 0)
                entry.eax = with_cache_sharing(entry.eax, shape);
            break;
        case k_leaf_amd_topology:
            // EAX extended APIC ID; EBX [15:8] threads per core - 1, [7:0] core ID; ECX node ID.
            entry.eax = shape.apic_id;
            entry.ebx = (entry.ebx & ~0xffffu) | (((topology.threads - 1) & 0xff) << 8)
                | (shape.core & 0xff);
            entry.ecx = (entry.ecx & ~0x7ffu) | (shape.socket & 0xff);
            break;
        default:
            break;
        }
        entries.push_back(entry);
    }

    if (max_basic_leaf >= k_leaf_topology)
        append_extended_topology(entries, k_leaf_topology, topology, shape);
    if (has_topology_v2 && max_basic_leaf >= k_leaf_topology_v2)
        append_extended_topology(entries, k_leaf_topology_v2, topology, shape);

    // The KVM signature leaf (KVM cpuid.rst): EAX = highest KVM leaf, then "KVMKVMKVM\0\0\0".
    constexpr char signature[12] = { 'K', 'V', 'M', 'K', 'V', 'M', 'K', 'V', 'M', 0, 0, 0 };
    if (!has_kvm_features) {
        kvm_cpuid_entry2 features {}; // no paravirtual features
        features.function = k_leaf_kvm_features;
        entries.push_back(features);
    }
    if (!has_kvm_signature) {
        kvm_cpuid_entry2 fresh {};
        fresh.function = k_leaf_kvm_signature;
        entries.push_back(fresh);
    }
    auto kvm = std::find_if(entries.begin(), entries.end(),
        [](const kvm_cpuid_entry2& entry) { return entry.function == k_leaf_kvm_signature; });
    kvm->eax = k_leaf_kvm_features;
    std::memcpy(&kvm->ebx, signature, 4);
    std::memcpy(&kvm->ecx, signature + 4, 4);
    std::memcpy(&kvm->edx, signature + 8, 4);
    return entries;
}

} // namespace vireo
