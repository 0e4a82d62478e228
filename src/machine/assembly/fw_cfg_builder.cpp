// fw_cfg (ports 0x510-0x51b) for a firmware boot: what the firmware learns about the machine
// (CPUs, RAM map, ACPI and SMBIOS tables, boot order). Runs last, when every boot device exists.
#include <algorithm>
#include <charconv>
#include <cstdio>

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

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (checked by the option parser) in RFC 4122 byte order.
Result<smbios::Uuid> parse_uuid(std::string_view text)
{
    smbios::Uuid uuid {};
    size_t byte = 0;
    for (size_t i = 0; i < text.size() && byte < uuid.size(); ++i) {
        if (text[i] == '-')
            continue;
        if (i + 1 >= text.size())
            break;
        unsigned value = 0;
        auto [end, error] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
        if (error != std::errc() || end != text.data() + i + 2)
            return make_error("invalid UUID '{}'", text);
        uuid[byte++] = static_cast<uint8_t>(value);
        ++i;
    }
    if (byte != uuid.size())
        return make_error("invalid UUID '{}'", text);
    return uuid;
}

std::optional<std::string> field(const std::map<std::string, std::string>& fields, const char* key)
{
    auto it = fields.find(key);
    return it == fields.end() ? std::nullopt : std::optional(it->second);
}

Result<void> fill_smbios_fields(const SmbiosFieldsConfig& config, smbios::SmbiosConfig& smbios)
{
    const auto& bios = config.bios;
    smbios.type0.vendor = field(bios, "vendor");
    smbios.type0.version = field(bios, "version");
    smbios.type0.date = field(bios, "date");
    if (auto release = field(bios, "release")) {
        unsigned major = 0, minor = 0;
        if (std::sscanf(release->c_str(), "%u.%u", &major, &minor) != 2 || major > 255 || minor > 255)
            return make_error("-smbios type=0: invalid release '{}' (MAJOR.MINOR)", *release);
        smbios.type0.release = std::array<uint8_t, 2> { static_cast<uint8_t>(major), static_cast<uint8_t>(minor) };
    }
    smbios.type0.uefi = field(bios, "uefi").value_or("off") == "on";
    const auto& system = config.system;
    smbios.type1.manufacturer = field(system, "manufacturer");
    smbios.type1.product = field(system, "product");
    smbios.type1.version = field(system, "version");
    smbios.type1.serial = field(system, "serial");
    smbios.type1.sku = field(system, "sku");
    smbios.type1.family = field(system, "family");
    if (auto uuid = field(system, "uuid"))
        smbios.type1.uuid = TRY(parse_uuid(*uuid));
    return {};
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
    if (!config.uuid.empty()) {
        content.uuid = TRY(parse_uuid(config.uuid));
        smbios.uuid = content.uuid;
    }
    TRY(fill_smbios_fields(config.smbios, smbios));
    content.smbios = std::move(smbios);
    content.acpi = TRY(build_acpi_firmware_tables(pc_acpi_config(config, parts.layout)));

    auto fw_cfg = std::make_shared<FwCfg>(parts.memory);
    TRY(populate_fw_cfg(*fw_cfg, content));
    TRY(parts.pio.insert(fw_cfg, FwCfg::k_port_base, FwCfg::k_port_count, "fw_cfg"));
    parts.keep(fw_cfg);
    return {};
}

} // namespace vireo
