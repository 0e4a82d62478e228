// fw_cfg (ports 0x510-0x51b) for a firmware boot: what the firmware learns about the machine
// (CPUs, RAM map, ACPI and SMBIOS tables, boot order). Runs last, when every boot device exists.
#include <algorithm>

#include "devices/firmware/fw_cfg.h"
#include "machine/assembly/builders.h"
#include "machine/firmware/fw_cfg_content.h"
#include "machine/pc_acpi_config.h"
#include "machine/pc_layout.h"

namespace vireo {

namespace {

boot_config::BootOptions boot_options(const MachineParts& parts)
{
    const auto& boot = parts.config.boot;
    boot_config::BootOptions options;
    for (const auto& device : parts.boot_devices) {
        if (device.bootindex >= 0)
            options.devices.push_back(boot_config::BootDevice { device.firmware_path, device.bootindex });
    }
    options.menu = boot.menu;
    if (boot.splash_time_ms)
        options.splash_time_ms = static_cast<uint16_t>(boot.splash_time_ms);
    options.reboot_timeout_ms = boot.reboot_timeout_ms;
    options.strict = boot.strict ? boot_config::StrictBoot::On : boot_config::StrictBoot::Off;
    return options;
}

} // namespace

Result<void> build_fw_cfg(MachineParts& parts)
{
    if (!parts.firmware)
        return {};
    const auto& config = parts.config;
    FirmwareContent content;
    content.cpu_count = static_cast<uint16_t>(config.smp.cpus);
    content.max_cpus = static_cast<uint16_t>(std::max(config.smp.max_cpus, config.smp.cpus));
    content.ram_size = config.memory_bytes;
    content.e820 = boot_config::firmware_e820(parts.layout.ram_regions);
    // Without a display, the firmware and boot loaders talk on COM1 (SeaBIOS's serial console).
    content.nographic = config.nographic || config.display_none;
    if (content.nographic)
        content.sercon_port = pc::k_com1_port;
    content.boot = boot_options(parts);

    smbios::SmbiosConfig smbios;
    smbios.cpus = config.smp.cpus;
    smbios.topology = topology_of(config.smp);
    smbios.ram_size = config.memory_bytes;
    smbios.ram_regions = parts.layout.ram_regions;
    content.smbios = std::move(smbios);
    content.acpi = TRY(build_acpi_firmware_tables(pc_acpi_config(config, parts.layout)));

    auto fw_cfg = std::make_shared<FwCfg>(parts.memory);
    TRY(populate_fw_cfg(*fw_cfg, content));
    TRY(parts.pio.insert(fw_cfg, FwCfg::k_port_base, FwCfg::k_port_count));
    parts.keep(fw_cfg);
    return {};
}

} // namespace vireo
