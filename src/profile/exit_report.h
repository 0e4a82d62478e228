#pragma once
// The exit profiler's report as the monitor shows it: per vCPU and in total, the exits by
// reason, and by device (named as its bus knows it) with their latency histogram. Devices that
// served no exit are left out.
#include <span>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "profile/exit_stats.h"

namespace vireo {

struct DeviceExitReport {
    std::string name;
    BusKind bus = BusKind::Pio;
    uint64_t base = 0;
    DeviceExitStats stats;
};

struct VcpuExitReport {
    uint64_t guest_ns = 0;
    uint64_t host_ns = 0;
    uint64_t held_ns = 0;
    std::array<uint64_t, k_exit_reason_count> reasons {};
    std::vector<DeviceExitReport> devices; // port devices first, then MMIO, each by slot
};

struct ExitProfileReport {
    std::vector<VcpuExitReport> vcpus; // by vCPU index
    VcpuExitReport total;
};

// Joins each vCPU's counters with the slot names of the two buses.
[[nodiscard]] ExitProfileReport make_exit_report(std::span<const VcpuExitStats> vcpus,
    std::span<const BusSlotInfo> pio_slots, std::span<const BusSlotInfo> mmio_slots);

} // namespace vireo
