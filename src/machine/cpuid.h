#pragma once
// The CPUID table each vCPU gets: what KVM supports, with the topology (APIC IDs, cache
// sharing, extended topology leaves) and the hypervisor leaves made to describe this VM.
#include <linux/kvm.h>

#include <cstdint>
#include <span>
#include <vector>

namespace vireo {

struct CpuTopology {
    uint32_t sockets = 1;
    uint32_t cores = 1;   // per socket
    uint32_t threads = 1; // per core

    [[nodiscard]] uint32_t cpus() const { return sockets * cores * threads; }
};

// Width of an APIC ID field holding `count` values: ceil(log2(count)).
[[nodiscard]] uint32_t apic_id_field_width(uint32_t count);

// The x2APIC-style APIC ID of a vCPU: thread, core and socket fields packed from bit 0, each
// as wide as apic_id_field_width() of its count (Intel SDM vol. 3 §10.12.8.1). vCPUs are
// numbered thread-first: index = (socket * cores + core) * threads + thread.
[[nodiscard]] uint32_t apic_id_of(const CpuTopology& topology, uint32_t vcpu_index);

// What the in-kernel irqchip offers beyond KVM_GET_SUPPORTED_CPUID.
struct CpuidExtras {
    // KVM_CAP_TSC_DEADLINE_TIMER: the LAPIC emulates TSC-deadline mode, which the supported
    // table leaves out because it depends on the irqchip (KVM api.rst).
    bool tsc_deadline_timer = false;
};

// The CPUID entries for vCPU `vcpu_index`, from KVM_GET_SUPPORTED_CPUID's `supported`.
[[nodiscard]] std::vector<kvm_cpuid_entry2> compose_cpuid(std::span<const kvm_cpuid_entry2> supported,
    const CpuTopology& topology, uint32_t vcpu_index, CpuidExtras extras = {});

} // namespace vireo
