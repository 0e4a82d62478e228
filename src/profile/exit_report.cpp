#include "profile/exit_report.h"

namespace vireo {

namespace {

void add_devices(std::vector<DeviceExitReport>& out, BusKind bus, const std::vector<DeviceExitStats>& stats,
    std::span<const BusSlotInfo> slots)
{
    for (size_t slot = 0; slot < stats.size(); ++slot) {
        if (stats[slot].exits == 0)
            continue;
        DeviceExitReport device;
        device.bus = bus;
        device.stats = stats[slot];
        if (slot < slots.size()) {
            device.name = slots[slot].name;
            device.base = slots[slot].base;
        } else {
            device.name = "(unknown)";
        }
        out.push_back(std::move(device));
    }
}

VcpuExitReport vcpu_report(const VcpuExitStats& stats, std::span<const BusSlotInfo> pio_slots,
    std::span<const BusSlotInfo> mmio_slots)
{
    VcpuExitReport report;
    report.guest_ns = stats.guest_ns;
    report.host_ns = stats.host_ns;
    report.held_ns = stats.held_ns;
    report.reasons = stats.reasons;
    add_devices(report.devices, BusKind::Pio, stats.pio, pio_slots);
    add_devices(report.devices, BusKind::Mmio, stats.mmio, mmio_slots);
    return report;
}

} // namespace

ExitProfileReport make_exit_report(std::span<const VcpuExitStats> vcpus, std::span<const BusSlotInfo> pio_slots,
    std::span<const BusSlotInfo> mmio_slots)
{
    ExitProfileReport report;
    VcpuExitStats total;
    for (const auto& stats : vcpus) {
        report.vcpus.push_back(vcpu_report(stats, pio_slots, mmio_slots));
        add_exit_stats(total, stats);
    }
    report.total = vcpu_report(total, pio_slots, mmio_slots);
    return report;
}

} // namespace vireo
