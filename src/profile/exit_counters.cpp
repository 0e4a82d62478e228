#include "profile/exit_counters.h"

namespace vireo {

namespace {

template<typename Device>
std::vector<DeviceExitStats> copy_devices(const Device* devices)
{
    std::vector<DeviceExitStats> copy(Bus::k_max_slots);
    for (size_t slot = 0; slot < Bus::k_max_slots; ++slot) {
        const auto& device = devices[slot];
        copy[slot].exits = device.exits.load(std::memory_order_relaxed);
        copy[slot].busy_ns = device.busy_ns.load(std::memory_order_relaxed);
        for (size_t bucket = 0; bucket < k_latency_buckets; ++bucket)
            copy[slot].latency[bucket] = device.latency[bucket].load(std::memory_order_relaxed);
    }
    return copy;
}

} // namespace

ExitCounters::ExitCounters()
    : m_pio(std::make_unique<Device[]>(Bus::k_max_slots))
    , m_mmio(std::make_unique<Device[]>(Bus::k_max_slots))
{
}

VcpuExitStats ExitCounters::snapshot() const
{
    VcpuExitStats stats;
    stats.guest_ns = m_guest_ns.load(std::memory_order_relaxed);
    stats.host_ns = m_host_ns.load(std::memory_order_relaxed);
    stats.held_ns = m_held_ns.load(std::memory_order_relaxed);
    for (size_t reason = 0; reason < k_exit_reason_count; ++reason)
        stats.reasons[reason] = m_reasons[reason].load(std::memory_order_relaxed);
    stats.pio = copy_devices(m_pio.get());
    stats.mmio = copy_devices(m_mmio.get());
    return stats;
}

} // namespace vireo
