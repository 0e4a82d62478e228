#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "machine/boot/le_bytes.h"
#include "machine/firmware/fw_cfg_content.h"

using namespace vireo;

namespace {

GuestMemory small_ram()
{
    std::array<GuestRegionSpec, 1> specs { GuestRegionSpec { 0, 0x10000 } };
    return GuestMemory::create(specs).value();
}

FirmwareContent content()
{
    FirmwareContent content;
    content.cpu_count = 2;
    content.max_cpus = 4;
    content.ram_size = 256ULL << 20;
    content.e820 = boot_config::firmware_e820(std::vector<GuestRegionSpec> { { 0, 256ULL << 20 } });
    content.nographic = true;
    content.sercon_port = 0x3f8;
    content.boot.devices = { { boot_config::of_path_ide(0, 0), 0 } };
    content.boot.menu = true;
    content.boot.splash_time_ms = 2500;
    smbios::SmbiosConfig smbios;
    smbios.cpus = 2;
    smbios.topology = { 4, 1, 1 };
    smbios.ram_size = content.ram_size;
    smbios.ram_regions = { { 0, content.ram_size } };
    content.smbios = smbios;
    AcpiConfig acpi;
    acpi.topology = { 4, 1, 1 };
    acpi.cpu_count = 2;
    acpi.ram_top = content.ram_size;
    content.acpi = build_acpi_firmware_tables(acpi).value();
    return content;
}

} // namespace

TEST(FwCfgContent, PopulatesFixedItemsAndFiles)
{
    auto memory = small_ram();
    FwCfg fw_cfg(memory);

    ASSERT_TRUE(populate_fw_cfg(fw_cfg, content()));

    EXPECT_EQ(load_le<uint16_t>(fw_cfg.item(fw_cfg::k_nb_cpus).value(), 0), 2);
    EXPECT_EQ(load_le<uint16_t>(fw_cfg.item(fw_cfg::k_max_cpus).value(), 0), 4);
    EXPECT_EQ(load_le<uint64_t>(fw_cfg.item(fw_cfg::k_ram_size).value(), 0), 256ULL << 20);
    EXPECT_EQ(load_le<uint16_t>(fw_cfg.item(fw_cfg::k_nographic).value(), 0), 1);
    EXPECT_EQ(load_le<uint16_t>(fw_cfg.item(fw_cfg::k_boot_menu).value(), 0), 1);
    EXPECT_EQ(fw_cfg.item(fw_cfg::k_uuid).value(), std::vector<uint8_t>(16, 0));
    for (auto name : { "bootorder", "etc/boot-fail-wait", "etc/boot-menu-wait", "etc/sercon-port", "etc/e820",
             "etc/smbios/smbios-anchor", "etc/smbios/smbios-tables", "etc/acpi/rsdp", "etc/acpi/tables", "etc/table-loader" })
        EXPECT_TRUE(fw_cfg.file_key(name)) << name;
    EXPECT_EQ(load_le<uint16_t>(fw_cfg.item(*fw_cfg.file_key("etc/sercon-port")).value(), 0), 0x3f8);
    EXPECT_EQ(load_le<uint16_t>(fw_cfg.item(*fw_cfg.file_key("etc/boot-menu-wait")).value(), 0), 2500);
    EXPECT_EQ(fw_cfg.item(*fw_cfg.file_key("etc/e820")).value().size(), 20u);
}

TEST(FwCfgContent, OptionalPartsStayOut)
{
    auto memory = small_ram();
    FwCfg fw_cfg(memory);
    FirmwareContent minimal;
    minimal.ram_size = 16ULL << 20;

    ASSERT_TRUE(populate_fw_cfg(fw_cfg, minimal));

    EXPECT_FALSE(fw_cfg.file_key("etc/table-loader"));
    EXPECT_FALSE(fw_cfg.file_key("etc/smbios/smbios-anchor"));
    EXPECT_FALSE(fw_cfg.file_key("etc/sercon-port"));
    EXPECT_FALSE(fw_cfg.file_key("etc/boot-menu-wait"));
    EXPECT_TRUE(fw_cfg.file_key("bootorder"));
}

TEST(FwCfgContent, RejectsMoreCpusThanTheMaximum)
{
    auto memory = small_ram();
    FwCfg fw_cfg(memory);
    FirmwareContent bad;
    bad.cpu_count = 4;
    bad.max_cpus = 2;

    EXPECT_FALSE(populate_fw_cfg(fw_cfg, bad));
}
