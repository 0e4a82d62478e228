#include "monitor/exit_profile_format.h"

#include <fmt/format.h>

namespace vireo {

namespace {

std::string_view bus_kind_name(BusKind bus) { return bus == BusKind::Pio ? "pio" : "mmio"; }

Json reasons_json(const VcpuExitReport& report)
{
    Json exits = Json::object();
    for (size_t reason = 0; reason < k_exit_reason_count; ++reason)
        exits[std::string(exit_reason_key(static_cast<ExitReason>(reason)))] = report.reasons[reason];
    return exits;
}

Json device_json(const DeviceExitReport& device)
{
    return Json { { "name", device.name }, { "kind", bus_kind_name(device.bus) }, { "base", device.base },
        { "exits", device.stats.exits }, { "busy-ns", device.stats.busy_ns },
        { "latency-ns-log2", device.stats.latency } };
}

Json vcpu_json(const VcpuExitReport& report)
{
    Json devices = Json::array();
    for (const auto& device : report.devices)
        devices.push_back(device_json(device));
    return Json { { "guest-ns", report.guest_ns }, { "host-ns", report.host_ns }, { "held-ns", report.held_ns },
        { "exits", reasons_json(report) }, { "devices", std::move(devices) } };
}

uint64_t exit_total(const VcpuExitReport& report)
{
    uint64_t total = 0;
    for (uint64_t count : report.reasons)
        total += count;
    return total;
}

std::string vcpu_text(std::string_view title, const VcpuExitReport& report)
{
    std::string text = fmt::format("{}: {} exits; guest mode {}, host {}, held {}\r\n", title, exit_total(report),
        format_duration_ns(report.guest_ns), format_duration_ns(report.host_ns), format_duration_ns(report.held_ns));
    text += " ";
    for (size_t reason = 0; reason < k_exit_reason_count; ++reason)
        text += fmt::format(" {} {}", exit_reason_kvm_name(static_cast<ExitReason>(reason)), report.reasons[reason]);
    text += "\r\n";
    if (report.devices.empty())
        return text;
    text += fmt::format("  {:<24} {:<4} {:>12} {:>10} {:>10} {:>10} {:>10}\r\n", "device", "bus", "base", "exits",
        "mean", "p50<=", "p99<=");
    for (const auto& device : report.devices) {
        const auto& stats = device.stats;
        auto ceiling = [&](double q) {
            auto bucket = quantile_bucket(stats.latency, q);
            auto bound = bucket_ceiling_ns(bucket);
            return bound ? format_duration_ns(bound) : fmt::format(">{}", format_duration_ns(bucket_floor_ns(bucket)));
        };
        text += fmt::format("  {:<24} {:<4} {:>#12x} {:>10} {:>10} {:>10} {:>10}\r\n", device.name,
            bus_kind_name(device.bus), device.base, stats.exits,
            format_duration_ns(stats.exits ? stats.busy_ns / stats.exits : 0), ceiling(0.5), ceiling(0.99));
    }
    return text;
}

} // namespace

std::string format_duration_ns(uint64_t ns)
{
    if (ns < 1'000)
        return fmt::format("{} ns", ns);
    auto value = static_cast<double>(ns);
    if (ns < 1'000'000)
        return fmt::format("{:.3g} us", value / 1e3);
    if (ns < 1'000'000'000)
        return fmt::format("{:.3g} ms", value / 1e6);
    return fmt::format("{:.3f} s", value / 1e9);
}

Json exit_profile_json(const ExitProfileReport& report)
{
    Json vcpus = Json::array();
    for (size_t index = 0; index < report.vcpus.size(); ++index) {
        Json vcpu = vcpu_json(report.vcpus[index]);
        vcpu["cpu-index"] = index;
        vcpus.push_back(std::move(vcpu));
    }
    return Json { { "vcpus", std::move(vcpus) }, { "total", vcpu_json(report.total) } };
}

TypeRef exit_profile_type()
{
    using namespace schema;
    std::vector<SchemaMember> reasons;
    for (size_t reason = 0; reason < k_exit_reason_count; ++reason)
        reasons.push_back({ std::string(exit_reason_key(static_cast<ExitReason>(reason))), integer() });
    auto device = object({ { "name", str() }, { "kind", enumeration({ "pio", "mmio" }) }, { "base", integer() },
        { "exits", integer() }, { "busy-ns", integer() }, { "latency-ns-log2", array(integer()) } });
    std::vector<SchemaMember> times { { "guest-ns", integer() }, { "host-ns", integer() }, { "held-ns", integer() },
        { "exits", object(std::move(reasons)) }, { "devices", array(device) } };
    auto total = object(times);
    times.insert(times.begin(), SchemaMember { "cpu-index", integer() });
    return object({ { "vcpus", array(object(std::move(times))) }, { "total", total } });
}

std::string exit_profile_text(const ExitProfileReport& report)
{
    if (report.vcpus.empty())
        return "no vCPU is running\r\n";
    std::string text;
    for (size_t index = 0; index < report.vcpus.size(); ++index)
        text += vcpu_text(fmt::format("CPU #{}", index), report.vcpus[index]);
    if (report.vcpus.size() > 1)
        text += vcpu_text("Total", report.total);
    return text;
}

} // namespace vireo
