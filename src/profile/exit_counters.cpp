#include "profile/exit_counters.h"

namespace vireo {

namespace {

template<typename Device>
std::vector<DeviceExitStats> copy_devices(const Device* devices)
{
    std::vector<DeviceExitStats> copy(Bus::k_max_slots);
    for (size_t slot = 0; slot < Bus::k_max_slots; ++slot) {
        const auto& device = devices[slot];
        for (size_t bucket = 0; bucket < k_latency_buckets; ++bucket)
            copy[slot].latency[bucket] = device.latency[bucket].load(std::memory_order_acquire);
        copy[slot].busy_ns = device.busy_ns.load(std::memory_order_acquire);
        copy[slot].exits = device.exits.load(std::memory_order_acquire);
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
    // Read in the reverse of the order the vCPU thread writes (an exit's reason, then its
    // device's count, time and bucket), so that a snapshot of a running vCPU is never less
    // consistent than this: each device's buckets add up to at most its exits, and the exits
    // by reason to at least the devices' exits.
    VcpuExitStats stats;
    stats.pio = copy_devices(m_pio.get());
    stats.mmio = copy_devices(m_mmio.get());
    for (size_t reason = 0; reason < k_exit_reason_count; ++reason)
        stats.reasons[reason] = m_reasons[reason].load(std::memory_order_acquire);
    stats.guest_ns = m_guest_ns.load(std::memory_order_acquire);
    stats.host_ns = m_host_ns.load(std::memory_order_acquire);
    stats.held_ns = m_held_ns.load(std::memory_order_acquire);
    return stats;
}

} // namespace vireo
