#include "machine/firmware/fw_cfg_content.h"

#include "machine/firmware/acpi_table_loader.h"

namespace vireo {

namespace {

Result<void> add_file(FwCfg& fw_cfg, std::string_view name, std::vector<uint8_t> data)
{
    TRY(fw_cfg.add_file(std::string(name), std::move(data)));
    return {};
}

} // namespace

Result<void> populate_fw_cfg(FwCfg& fw_cfg, const FirmwareContent& content)
{
    if (content.cpu_count == 0 || content.max_cpus < content.cpu_count)
        return make_error("fw_cfg: {} CPUs with a maximum of {}", content.cpu_count, content.max_cpus);

    // Fixed items, as QEMU's pc machine sets them.
    const smbios::Uuid uuid = content.uuid.value_or(smbios::Uuid {});
    TRY(fw_cfg.add_item(fw_cfg::k_uuid, std::vector<uint8_t>(uuid.begin(), uuid.end())));
    TRY(fw_cfg.add_u64(fw_cfg::k_ram_size, content.ram_size));
    TRY(fw_cfg.add_u16(fw_cfg::k_nographic, content.nographic ? 1 : 0));
    TRY(fw_cfg.add_u16(fw_cfg::k_nb_cpus, content.cpu_count));
    TRY(fw_cfg.add_u16(fw_cfg::k_max_cpus, content.max_cpus));
    TRY(fw_cfg.add_u16(fw_cfg::k_boot_menu, content.boot.menu ? 1 : 0));
    // The MADT routes IRQ0 to GSI 2; SeaBIOS's own tables (unused here) would follow this.
    TRY(fw_cfg.add_u32(fw_cfg::k_irq0_override, 1));

    TRY(add_file(fw_cfg, boot_config::k_e820_file, boot_config::e820_file(content.e820)));
    auto bootorder = TRY(boot_config::build_bootorder(content.boot.devices, content.boot.strict));
    TRY(add_file(fw_cfg, boot_config::k_bootorder_file, std::move(bootorder)));
    TRY(add_file(fw_cfg, boot_config::k_boot_fail_wait_file, boot_config::boot_fail_wait(content.boot.reboot_timeout_ms)));
    if (content.boot.splash_time_ms)
        TRY(add_file(fw_cfg, boot_config::k_boot_menu_wait_file, boot_config::le16_file(*content.boot.splash_time_ms)));
    if (content.sercon_port)
        TRY(add_file(fw_cfg, boot_config::k_sercon_port_file, boot_config::le16_file(*content.sercon_port)));

    if (content.smbios) {
        auto smbios_config = *content.smbios;
        if (!smbios_config.uuid)
            smbios_config.uuid = content.uuid;
        auto files = TRY(smbios::build_smbios(smbios_config));
        TRY(add_file(fw_cfg, smbios::k_anchor_file, std::move(files.anchor)));
        TRY(add_file(fw_cfg, smbios::k_tables_file, std::move(files.tables)));
    }

    if (content.acpi) {
        auto files = TRY(table_loader::build_table_loader(*content.acpi));
        TRY(add_file(fw_cfg, table_loader::k_rsdp_file, std::move(files.rsdp)));
        TRY(add_file(fw_cfg, table_loader::k_tables_file, std::move(files.tables)));
        TRY(add_file(fw_cfg, table_loader::k_loader_file, std::move(files.loader)));
    }
    return {};
}

} // namespace vireo
