// The human monitor's `info` subcommands, laid out as QEMU 7.2's.
#include <fmt/core.h>

#include <array>

#include "monitor/exit_profile_format.h"
#include "monitor/hmp_commands.h"
#include "monitor/qmp_session.h"

namespace vireo {

namespace {

using InfoHandler = std::string (*)(std::string_view arguments, MachineControl& control);

struct InfoCommand {
    std::string_view name;
    std::string_view parameters;
    std::string_view help;
    InfoHandler handler;
};

std::string info_status(std::string_view, MachineControl& control)
{
    switch (control.run_state()) {
    case RunState::Running:
        return "VM status: running\r\n";
    case RunState::Paused:
        return "VM status: paused\r\n";
    case RunState::Prelaunch:
        return "VM status: paused (prelaunch)\r\n";
    case RunState::Shutdown:
        return "VM status: paused (shutdown)\r\n";
    }
    return {};
}

std::string info_version(std::string_view, MachineControl&)
{
    auto version = qmp_version_info();
    return fmt::format("7.2.0 ({})\r\n", version["package"].get<std::string>());
}

std::string info_name(std::string_view, MachineControl& control)
{
    auto name = control.name();
    return name.empty() ? std::string() : name + "\r\n";
}

std::string info_uuid(std::string_view, MachineControl& control)
{
    return control.uuid() + "\r\n";
}

std::string info_exits(std::string_view, MachineControl& control)
{
    return exit_profile_text(control.exit_profile());
}

std::string info_kvm(std::string_view, MachineControl&)
{
    return "kvm support: enabled\r\n";
}

std::string info_cpus(std::string_view, MachineControl& control)
{
    std::string text;
    for (const auto& vcpu : control.vcpus())
        text += fmt::format("{} CPU #{}: thread_id={}\r\n", vcpu.index == 0 ? '*' : ' ', vcpu.index, vcpu.thread_id);
    return text;
}

std::string info_block(std::string_view, MachineControl& control)
{
    std::string text;
    bool first = true;
    for (const auto& drive : control.block_devices()) {
        if (!first)
            text += "\r\n";
        first = false;
        if (drive.medium) {
            const auto& medium = *drive.medium;
            text += fmt::format("{}: {} ({}{})\r\n", drive.device, medium.file, medium.format,
                medium.read_only ? ", read-only" : "");
        } else {
            text += fmt::format("{}: [not inserted]\r\n", drive.device);
        }
        if (!drive.qdev.empty())
            text += fmt::format("    Attached to:      {}\r\n", drive.qdev);
        if (drive.removable)
            text += fmt::format("    Removable device: {}locked, tray {}\r\n", drive.locked ? "" : "not ",
                drive.tray_open.value_or(false) ? "open" : "closed");
        if (!drive.medium)
            continue;
        const auto& medium = *drive.medium;
        text += fmt::format("    Cache mode:       {}{}{}\r\n", medium.writeback ? "writeback" : "writethrough",
            medium.direct ? ", direct" : "", medium.no_flush ? ", ignore flushes" : "");
        if (!medium.backing_file.empty())
            text += fmt::format("    Backing file:     {} (chain depth: {})\r\n", medium.backing_file,
                medium.backing_depth);
    }
    return text;
}

std::string info_network(std::string_view, MachineControl& control)
{
    std::string text;
    for (const auto& client : control.network_clients()) {
        text += fmt::format("{}: index=0,type=nic,model={},macaddr={}\r\n", client.nic_name, client.model, client.mac);
        if (!client.netdev_id.empty())
            text += fmt::format(" \\ {}: {}\r\n", client.netdev_id, client.netdev_info);
    }
    return text;
}

std::string info_chardev(std::string_view, MachineControl& control)
{
    std::string text;
    for (const auto& chardev : control.chardevs())
        text += fmt::format("{}: filename={}\r\n", chardev.label, chardev.filename);
    return text;
}

// The guest-visible end of a BAR as QEMU prints it: address + size - 1, from all-ones when the
// BAR is not mapped.
std::pair<uint64_t, uint64_t> bar_range(const PciBarInfo& bar)
{
    uint64_t start = bar.address.value_or(~0ULL);
    return { start, start + bar.size - 1 };
}

std::string info_pci(std::string_view, MachineControl& control)
{
    std::string text;
    for (const auto& function : control.pci_functions()) {
        text += fmt::format("  Bus  0, device {:3}, function {}:\r\n", function.slot, function.function);
        text += fmt::format("    {}: PCI device {:04x}:{:04x}\r\n", pci_class_description(function.class_code),
            function.vendor, function.device);
        text += fmt::format("      PCI subsystem {:04x}:{:04x}\r\n", function.subsystem_vendor, function.subsystem);
        if (function.pin != 0)
            text += fmt::format("      IRQ {}, pin {}\r\n", function.irq, static_cast<char>('A' + function.pin - 1));
        for (const auto& bar : function.bars) {
            auto [start, end] = bar_range(bar);
            if (bar.kind == PciBarInfo::Kind::Io)
                text += fmt::format("      BAR{}: I/O at 0x{:04x} [0x{:04x}].\r\n", bar.index, start, end);
            else
                text += fmt::format("      BAR{}: {} bit {}memory at 0x{:08x} [0x{:08x}].\r\n", bar.index,
                    bar.kind == PciBarInfo::Kind::Memory64 ? 64 : 32, bar.prefetchable ? "prefetchable " : "", start,
                    end);
        }
        text += fmt::format("      id \"{}\"\r\n", function.id);
    }
    return text;
}

// QEMU's type name of a function vireo has, by its IDs (the PCI device list is all vireo keeps
// of a device's kind).
std::string pci_type_name(const PciFunctionInfo& function)
{
    struct Known {
        uint16_t vendor;
        uint16_t device;
        const char* name;
    };
    static constexpr std::array<Known, 14> known { {
        { 0x8086, 0x1237, "i440FX" }, { 0x8086, 0x7000, "PIIX3" }, { 0x8086, 0x7010, "piix3-ide" },
        { 0x8086, 0x7113, "PIIX4_PM" }, { 0x1234, 0x1111, "VGA" }, { 0x8086, 0x100e, "e1000" },
        { 0x1af4, 0x1000, "virtio-net-pci" }, { 0x1af4, 0x1041, "virtio-net-pci" },
        { 0x1af4, 0x1001, "virtio-blk-pci" }, { 0x1af4, 0x1042, "virtio-blk-pci" },
        { 0x1af4, 0x1003, "virtio-serial-pci" }, { 0x1af4, 0x1043, "virtio-serial-pci" },
        { 0x1af4, 0x1005, "virtio-rng-pci" }, { 0x1af4, 0x1044, "virtio-rng-pci" },
    } };
    for (const auto& entry : known) {
        if (entry.vendor == function.vendor && entry.device == function.device)
            return entry.name;
    }
    if (function.vendor == 0x1af4 && function.device == 0x1052) {
        switch (function.class_code >> 8) {
        case 0x0900:
            return "virtio-keyboard-pci";
        case 0x0902:
            return "virtio-mouse-pci";
        default:
            return "virtio-tablet-pci";
        }
    }
    return fmt::format("pci-device-{:04x}-{:04x}", function.vendor, function.device);
}

std::string info_qtree(std::string_view, MachineControl& control)
{
    auto functions = control.pci_functions();
    std::string text = "bus: main-system-bus\r\n  type System\r\n";
    if (functions.empty())
        return text;
    text += "  dev: i440FX-pcihost, id \"\"\r\n    bus: pci.0\r\n      type PCI\r\n";
    for (const auto& function : functions) {
        text += fmt::format("      dev: {}, id \"{}\"\r\n", pci_type_name(function), function.id);
        text += fmt::format("        addr = {:02x}.{}\r\n", function.slot, function.function);
        text += fmt::format("        class {}, addr 00:{:02x}.{}, pci id {:04x}:{:04x} (sub {:04x}:{:04x})\r\n",
            pci_class_description(function.class_code), function.slot, function.function, function.vendor,
            function.device, function.subsystem_vendor, function.subsystem);
        for (const auto& bar : function.bars) {
            if (!bar.address)
                continue;
            auto [start, end] = bar_range(bar);
            text += fmt::format("        bar {}: {} at 0x{:x} [0x{:x}]\r\n", bar.index,
                bar.kind == PciBarInfo::Kind::Io ? "i/o" : "mem", start, end);
        }
    }
    return text;
}

std::string info_mtree(std::string_view, MachineControl& control)
{
    auto functions = control.pci_functions();
    std::string text = "address-space: memory\r\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\r\n";
    uint64_t ram_offset = 0;
    for (const auto& [start, end] : control.ram_regions()) {
        text += fmt::format("    {:016x}-{:016x} (prio 0, ram): alias {} @pc.ram {:016x}-{:016x}\r\n", start, end - 1,
            start < (4ULL << 30) ? "ram-below-4g" : "ram-above-4g", ram_offset, ram_offset + (end - start) - 1);
        ram_offset += end - start;
    }
    std::string io = "address-space: I/O\r\n  0000000000000000-000000000000ffff (prio 0, i/o): io\r\n";
    for (const auto& function : functions) {
        for (const auto& bar : function.bars) {
            if (!bar.address)
                continue;
            auto [start, end] = bar_range(bar);
            auto line = fmt::format("    {:016x}-{:016x} (prio 1, i/o): {} BAR{} ({:02x}.{})\r\n", start, end,
                pci_type_name(function), bar.index, function.slot, function.function);
            (bar.kind == PciBarInfo::Kind::Io ? io : text) += line;
        }
    }
    return io + text;
}

std::string info_registers(std::string_view arguments, MachineControl& control)
{
    std::vector<uint32_t> indices;
    auto vcpus = control.vcpus();
    if (arguments == "-a") {
        for (const auto& vcpu : vcpus)
            indices.push_back(vcpu.index);
    } else if (arguments.empty()) {
        if (vcpus.empty())
            return "No CPU available\r\n";
        indices.push_back(0); // the monitor's current CPU: vireo's is always the first
    } else {
        uint32_t index = 0;
        for (char digit : arguments) {
            if (digit < '0' || digit > '9' || index > 100000)
                return fmt::format("invalid CPU index '{}'\r\n", arguments);
            index = index * 10 + static_cast<uint32_t>(digit - '0');
        }
        if (index >= vcpus.size())
            return fmt::format("CPU#{} not available\r\n", index);
        indices.push_back(index);
    }
    std::string text;
    for (uint32_t index : indices) {
        auto registers = control.vcpu_registers(index);
        if (!registers)
            text += fmt::format("CPU#{}: {}\r\n", index, registers.error().message);
        else
            text += format_vcpu_registers(index, *registers);
    }
    return text;
}

constexpr std::array<InfoCommand, 14> k_info_commands { {
    { "block", "", "show the block devices", info_block },
    { "chardev", "", "show the character devices", info_chardev },
    { "cpus", "", "show infos for each CPU", info_cpus },
    { "exits", "", "show the exit profiler's counts per vCPU and device (vireo's own)", info_exits },
    { "kvm", "", "show KVM information", info_kvm },
    { "mtree", "", "show memory tree", info_mtree },
    { "name", "", "show the current VM name", info_name },
    { "network", "", "show the network state", info_network },
    { "pci", "", "show PCI info", info_pci },
    { "qtree", "", "show device tree", info_qtree },
    { "registers", "[-a|vcpu]",
        "show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the "
        "current CPU's registers if no argument is specified)",
        info_registers },
    { "status", "", "show the current VM status (running|paused)", info_status },
    { "uuid", "", "show the current VM UUID", info_uuid },
    { "version", "", "show the version of QEMU", info_version },
} };

} // namespace

std::string hmp_info_help(std::string_view only)
{
    std::string text;
    for (const auto& command : k_info_commands) {
        if (!only.empty() && command.name != only)
            continue;
        // QEMU's layout: "name params -- help", two spaces when there are no parameters.
        text += fmt::format("info {} {} -- {}\r\n", command.name, command.parameters, command.help);
    }
    return text;
}

std::string run_hmp_info(std::string_view what, std::string_view arguments, MachineControl& control)
{
    if (what.empty())
        return hmp_info_help();
    for (const auto& command : k_info_commands) {
        if (command.name == what)
            return command.handler(arguments, control);
    }
    return fmt::format("unknown command: 'info {}'\r\n", what);
}

std::string pci_class_description(uint32_t class_code)
{
    struct Named {
        uint16_t code;
        const char* name;
    };
    // PCI Code and ID Assignment Specification 1.11 §1, the names QEMU gives them.
    static constexpr std::array<Named, 22> names { {
        { 0x0100, "SCSI controller" }, { 0x0101, "IDE controller" }, { 0x0102, "Floppy controller" },
        { 0x0104, "RAID controller" }, { 0x0106, "SATA controller" }, { 0x0180, "Storage controller" },
        { 0x0200, "Ethernet controller" }, { 0x0280, "Network controller" }, { 0x0300, "VGA controller" },
        { 0x0302, "3D controller" }, { 0x0380, "Display controller" }, { 0x0401, "Audio controller" },
        { 0x0500, "RAM controller" }, { 0x0600, "Host bridge" }, { 0x0601, "ISA bridge" },
        { 0x0604, "PCI bridge" }, { 0x0680, "Bridge" }, { 0x0700, "Serial port" },
        { 0x0780, "Communication controller" }, { 0x0900, "Keyboard" }, { 0x0902, "Mouse" },
        { 0x0c03, "USB controller" },
    } };
    auto code = static_cast<uint16_t>(class_code >> 8);
    for (const auto& entry : names) {
        if (entry.code == code)
            return entry.name;
    }
    // QEMU prints an unnamed class in decimal digits ("Class 0255" for 0x00ff).
    return fmt::format("Class {:04}", code);
}

} // namespace vireo
