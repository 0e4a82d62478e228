#include "profile/exit_stats.h"

#include <algorithm>

namespace vireo {

namespace {

// Counters only grow; a baseline from other counters (a machine built again) counts as none.
uint64_t since(uint64_t now, uint64_t baseline) { return now >= baseline ? now - baseline : now; }

void devices_since(std::vector<DeviceExitStats>& now, const std::vector<DeviceExitStats>& baseline)
{
    for (size_t slot = 0; slot < std::min(now.size(), baseline.size()); ++slot) {
        auto& device = now[slot];
        const auto& base = baseline[slot];
        device.exits = since(device.exits, base.exits);
        device.busy_ns = since(device.busy_ns, base.busy_ns);
        for (size_t bucket = 0; bucket < k_latency_buckets; ++bucket)
            device.latency[bucket] = since(device.latency[bucket], base.latency[bucket]);
    }
}

void add_devices(std::vector<DeviceExitStats>& sum, const std::vector<DeviceExitStats>& more)
{
    if (sum.size() < more.size())
        sum.resize(more.size());
    for (size_t slot = 0; slot < more.size(); ++slot) {
        sum[slot].exits += more[slot].exits;
        sum[slot].busy_ns += more[slot].busy_ns;
        for (size_t bucket = 0; bucket < k_latency_buckets; ++bucket)
            sum[slot].latency[bucket] += more[slot].latency[bucket];
    }
}

} // namespace

VcpuExitStats exit_stats_since(const VcpuExitStats& now, const VcpuExitStats& baseline)
{
    VcpuExitStats result = now;
    result.guest_ns = since(now.guest_ns, baseline.guest_ns);
    result.host_ns = since(now.host_ns, baseline.host_ns);
    result.held_ns = since(now.held_ns, baseline.held_ns);
    for (size_t reason = 0; reason < k_exit_reason_count; ++reason)
        result.reasons[reason] = since(now.reasons[reason], baseline.reasons[reason]);
    devices_since(result.pio, baseline.pio);
    devices_since(result.mmio, baseline.mmio);
    return result;
}

void add_exit_stats(VcpuExitStats& sum, const VcpuExitStats& more)
{
    sum.guest_ns += more.guest_ns;
    sum.host_ns += more.host_ns;
    sum.held_ns += more.held_ns;
    for (size_t reason = 0; reason < k_exit_reason_count; ++reason)
        sum.reasons[reason] += more.reasons[reason];
    add_devices(sum.pio, more.pio);
    add_devices(sum.mmio, more.mmio);
}

} // namespace vireo
