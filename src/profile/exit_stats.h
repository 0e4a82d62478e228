#pragma once
// The exit profiler's figures as plain values: one vCPU's counters copied at one moment
// (ExitCounters::snapshot), and the arithmetic a reset and a total need.
#include <array>
#include <cstdint>
#include <vector>

#include "profile/exit_reason.h"
#include "profile/latency_histogram.h"

namespace vireo {

enum class BusKind : uint8_t { Pio, Mmio };

// The exits one device (one bus slot) served, and how long serving them took.
struct DeviceExitStats {
    uint64_t exits = 0;
    uint64_t busy_ns = 0;   // the sum of the latencies
    LatencyBuckets latency {};
};

struct VcpuExitStats {
    uint64_t guest_ns = 0;  // inside KVM_RUN (a halted vCPU waits there too)
    uint64_t host_ns = 0;   // out of KVM_RUN, serving exits
    uint64_t held_ns = 0;   // held by stop or -S
    std::array<uint64_t, k_exit_reason_count> reasons {};
    std::vector<DeviceExitStats> pio;   // by bus slot
    std::vector<DeviceExitStats> mmio;
};

// now - baseline, member by member: what happened since the baseline was taken from the same
// counters (x-vireo-exits-reset keeps a baseline rather than writing to a vCPU's counters).
[[nodiscard]] VcpuExitStats exit_stats_since(const VcpuExitStats& now, const VcpuExitStats& baseline);
// sum += more, member by member.
void add_exit_stats(VcpuExitStats& sum, const VcpuExitStats& more);

} // namespace vireo
