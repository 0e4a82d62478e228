#pragma once
// Everything Vireo's `pc` machine tells its firmware through fw_cfg, in one plain struct, and
// the one call that registers it. The machine fills FirmwareContent from its configuration
// before the vCPUs start:
//
//   auto fw_cfg = std::make_shared<FwCfg>(memory);
//   TRY(populate_fw_cfg(*fw_cfg, content));
//   TRY(pio.insert(fw_cfg, FwCfg::k_port_base, FwCfg::k_port_count));
#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.h"
#include "devices/firmware/fw_cfg.h"
#include "machine/acpi/acpi_tables.h"
#include "machine/firmware/boot_config.h"
#include "machine/firmware/smbios.h"
#include "machine/memory_map.h"

namespace vireo {

struct FirmwareContent {
    uint16_t cpu_count = 1;               // key 0x05: vCPUs started
    uint16_t max_cpus = 1;                // key 0x0f
    uint64_t ram_size = 0;                // key 0x03
    std::vector<E820Entry> e820;          // etc/e820: boot_config::firmware_e820(layout.ram_regions)
    std::optional<smbios::Uuid> uuid;     // key 0x02 (-uuid, RFC 4122 byte order); zeros if none
    bool nographic = false;               // key 0x04
    std::optional<uint16_t> sercon_port;  // etc/sercon-port: pc::k_com1_port under -nographic
    boot_config::BootOptions boot;        // bootorder, boot menu, etc/boot-fail-wait
    std::optional<smbios::SmbiosConfig> smbios;  // etc/smbios/*
    std::optional<AcpiFirmwareTables> acpi;      // etc/acpi/*, etc/table-loader
};

// Registers the fixed items and files; call once, before the guest runs.
[[nodiscard]] Result<void> populate_fw_cfg(FwCfg& fw_cfg, const FirmwareContent& content);

} // namespace vireo
