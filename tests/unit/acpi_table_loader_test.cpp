#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "machine/acpi/acpi_tables.h"
#include "machine/boot/le_bytes.h"
#include "machine/firmware/acpi_table_loader.h"

using namespace vireo;

namespace {

uint8_t sum(std::span<const uint8_t> bytes)
{
    uint8_t total = 0;
    for (uint8_t b : bytes)
        total = static_cast<uint8_t>(total + b);
    return total;
}

AcpiConfig config()
{
    AcpiConfig config;
    config.topology = { 1, 2, 1 };
    config.cpu_count = 2;
    config.ram_top = 1ULL << 30;
    config.pci_intx_gsis = { 16, 17, 18, 19 };
    return config;
}

// A tiny firmware: runs etc/table-loader the way SeaBIOS's romfile_loader does, placing
// etc/acpi/tables high in RAM and etc/acpi/rsdp in the F segment, into one flat "memory".
struct LoadedTables {
    struct Blob {
        uint64_t address;
        std::vector<uint8_t> bytes;
    };
    std::map<std::string, Blob> blobs;

    void load(const table_loader::Files& files)
    {
        const std::map<std::string, const std::vector<uint8_t>*> fw_cfg {
            { std::string(table_loader::k_tables_file), &files.tables },
            { std::string(table_loader::k_rsdp_file), &files.rsdp },
        };
        uint64_t high = 0x7ff0'0010; // deliberately misaligned: the loader aligns
        uint64_t fseg = 0xf'5a34;
        ASSERT_EQ(files.loader.size() % table_loader::k_command_size, 0u);
        for (size_t at = 0; at < files.loader.size(); at += table_loader::k_command_size) {
            auto command = std::span(files.loader).subspan(at, table_loader::k_command_size);
            const uint32_t type = load_le<uint32_t>(command, 0);
            if (type == table_loader::k_allocate) {
                const std::string file = name(command, 4);
                const uint32_t align = load_le<uint32_t>(command, 60);
                ASSERT_TRUE(fw_cfg.contains(file)) << file;
                ASSERT_FALSE(blobs.contains(file)) << file;
                uint64_t& zone = command[64] == table_loader::k_zone_fseg ? fseg : high;
                ASSERT_TRUE(command[64] == table_loader::k_zone_fseg || command[64] == table_loader::k_zone_high);
                zone = (zone + align - 1) / align * align;
                blobs[file] = Blob { zone, *fw_cfg.at(file) };
                zone += fw_cfg.at(file)->size();
            } else if (type == table_loader::k_add_pointer) {
                Blob& dest = blobs.at(name(command, 4));
                const Blob& src = blobs.at(name(command, 60));
                const uint32_t offset = load_le<uint32_t>(command, 116);
                const uint8_t size = command[120];
                ASSERT_LE(offset + size, dest.bytes.size());
                if (size == 4)
                    store_le<uint32_t>(dest.bytes, offset, static_cast<uint32_t>(load_le<uint32_t>(dest.bytes, offset) + src.address));
                else if (size == 8)
                    store_le<uint64_t>(dest.bytes, offset, load_le<uint64_t>(dest.bytes, offset) + src.address);
                else
                    FAIL() << "pointer size " << int(size);
            } else if (type == table_loader::k_add_checksum) {
                Blob& blob = blobs.at(name(command, 4));
                const uint32_t result = load_le<uint32_t>(command, 60);
                const uint32_t start = load_le<uint32_t>(command, 64);
                const uint32_t length = load_le<uint32_t>(command, 68);
                ASSERT_LE(start + length, blob.bytes.size());
                blob.bytes[result] = static_cast<uint8_t>(blob.bytes[result] - sum(std::span(blob.bytes).subspan(start, length)));
            } else {
                FAIL() << "command " << type;
            }
        }
    }

    static std::string name(std::span<const uint8_t> command, size_t at)
    {
        return std::string(reinterpret_cast<const char*>(command.data() + at), strnlen(reinterpret_cast<const char*>(command.data() + at), 56));
    }

    std::span<const uint8_t> rsdp() const { return blobs.at("etc/acpi/rsdp").bytes; }
    // A table by guest address: must lie inside etc/acpi/tables.
    std::span<const uint8_t> table(uint64_t address) const
    {
        const Blob& tables = blobs.at("etc/acpi/tables");
        EXPECT_GE(address, tables.address);
        const uint64_t offset = address - tables.address;
        EXPECT_LE(offset + 8, tables.bytes.size());
        const uint32_t length = load_le<uint32_t>(tables.bytes, offset + 4);
        EXPECT_LE(offset + length, tables.bytes.size());
        return std::span(tables.bytes).subspan(offset, length);
    }
    static std::string signature(std::span<const uint8_t> table) { return std::string(table.begin(), table.begin() + 4); }
};

} // namespace

TEST(AcpiTableLoader, CommandsAllocateBothFilesFirst)
{
    auto files = table_loader::build_table_loader(build_acpi_firmware_tables(config()).value()).value();

    ASSERT_GE(files.loader.size(), 2 * table_loader::k_command_size);
    EXPECT_EQ(load_le<uint32_t>(files.loader, 0), table_loader::k_allocate);
    EXPECT_EQ(LoadedTables::name(files.loader, 4), "etc/acpi/rsdp");
    EXPECT_EQ(files.loader[64], table_loader::k_zone_fseg);
    EXPECT_EQ(load_le<uint32_t>(files.loader, 128), table_loader::k_allocate);
    EXPECT_EQ(LoadedTables::name(std::span(files.loader).subspan(128), 4), "etc/acpi/tables");
    EXPECT_EQ(load_le<uint32_t>(files.loader, 128 + 60), 64u);
    EXPECT_EQ(files.loader[128 + 64], table_loader::k_zone_high);
}

TEST(AcpiTableLoader, LoadedTablesResolveAndEveryChecksumIsZero)
{
    auto files = table_loader::build_table_loader(build_acpi_firmware_tables(config()).value()).value();

    LoadedTables loaded;
    ASSERT_NO_FATAL_FAILURE(loaded.load(files));

    auto rsdp = loaded.rsdp();
    ASSERT_EQ(rsdp.size(), 36u);
    EXPECT_EQ(std::string(rsdp.begin(), rsdp.begin() + 8), "RSD PTR ");
    EXPECT_EQ(loaded.blobs.at("etc/acpi/rsdp").address % 16, 0u);
    EXPECT_EQ(sum(rsdp.first(20)), 0);
    EXPECT_EQ(sum(rsdp), 0);
    auto xsdt = loaded.table(load_le<uint64_t>(rsdp, 24));
    auto rsdt = loaded.table(load_le<uint32_t>(rsdp, 16));
    EXPECT_EQ(LoadedTables::signature(xsdt), "XSDT");
    EXPECT_EQ(LoadedTables::signature(rsdt), "RSDT");
    EXPECT_EQ(sum(xsdt), 0);
    EXPECT_EQ(sum(rsdt), 0);

    std::vector<std::string> listed;
    for (size_t i = 0; 36 + 8 * i < xsdt.size(); ++i) {
        auto table = loaded.table(load_le<uint64_t>(xsdt, 36 + 8 * i));
        EXPECT_EQ(load_le<uint32_t>(rsdt, 36 + 4 * i), load_le<uint64_t>(xsdt, 36 + 8 * i));
        EXPECT_EQ(sum(table), 0) << LoadedTables::signature(table);
        listed.push_back(LoadedTables::signature(table));
    }
    EXPECT_EQ(listed, (std::vector<std::string> { "FACP", "APIC" }));

    auto fadt = loaded.table(load_le<uint64_t>(xsdt, 36));
    auto dsdt = loaded.table(load_le<uint64_t>(fadt, 140));
    auto facs = loaded.table(load_le<uint64_t>(fadt, 132));
    EXPECT_EQ(LoadedTables::signature(dsdt), "DSDT");
    EXPECT_EQ(sum(dsdt), 0);
    EXPECT_EQ(LoadedTables::signature(facs), "FACS");
    EXPECT_EQ(load_le<uint64_t>(fadt, 132) % 64, 0u);
    EXPECT_EQ(load_le<uint32_t>(fadt, 36), load_le<uint64_t>(fadt, 132));
    EXPECT_EQ(load_le<uint32_t>(fadt, 40), load_le<uint64_t>(fadt, 140));
}

TEST(AcpiTableLoader, FirmwareBlobsLeaveChecksumsForTheLoader)
{
    auto acpi = build_acpi_firmware_tables(config()).value();

    for (const auto& checksum : acpi.table_checksums)
        EXPECT_EQ(acpi.tables[checksum.checksum_offset], 0);
    EXPECT_EQ(acpi.rsdp[8], 0);
    EXPECT_EQ(acpi.rsdp[32], 0);
    EXPECT_EQ(acpi.table_checksums.size(), 5u); // DSDT, FADT, MADT, XSDT, RSDT
}

TEST(AcpiTableLoader, ExtraTablesAreRelocatedToo)
{
    auto with_extra = config();
    std::vector<uint8_t> extra(40, 0);
    std::copy_n("TEST", 4, extra.begin());
    store_le<uint32_t>(extra, 4, 40);
    with_extra.extra_tables.push_back(extra);
    auto files = table_loader::build_table_loader(build_acpi_firmware_tables(with_extra).value()).value();

    LoadedTables loaded;
    ASSERT_NO_FATAL_FAILURE(loaded.load(files));

    auto xsdt = loaded.table(load_le<uint64_t>(loaded.rsdp(), 24));
    ASSERT_EQ(xsdt.size(), 36u + 3 * 8);
    auto test = loaded.table(load_le<uint64_t>(xsdt, 36 + 16));
    EXPECT_EQ(LoadedTables::signature(test), "TEST");
    EXPECT_EQ(sum(test), 0);
}

TEST(AcpiTableLoader, RejectsPointersOutsideTheirBlob)
{
    auto acpi = build_acpi_firmware_tables(config()).value();
    acpi.table_pointers.push_back(AcpiPointer { static_cast<uint32_t>(acpi.tables.size() - 2), 4 });

    EXPECT_FALSE(table_loader::build_table_loader(acpi));
}

TEST(AcpiFadt, PmTimerOnlyWhenConfigured)
{
    auto with_timer = config();
    with_timer.pm_timer = true;

    auto plain = build_acpi_tables(config()).value();
    auto timed = build_acpi_tables(with_timer).value();

    auto fadt_of = [](const AcpiTables& tables) {
        const auto image = std::span<const uint8_t>(tables.image);
        auto rsdp = image.subspan(tables.rsdp_address - tables.address, 36);
        auto xsdt = image.subspan(load_le<uint64_t>(rsdp, 24) - tables.address);
        return image.subspan(load_le<uint64_t>(xsdt, 36) - tables.address, 276);
    };
    auto fadt = fadt_of(timed);
    auto none = fadt_of(plain);
    EXPECT_EQ(load_le<uint32_t>(fadt, 76), pc::k_pm_timer_port); // PM_TMR_BLK
    EXPECT_EQ(fadt[91], 4);                                       // PM_TMR_LEN
    EXPECT_EQ(load_le<uint32_t>(fadt, 112) & (1u << 8), 0u);      // TMR_VAL_EXT: 24-bit timer
    EXPECT_EQ(fadt[208], 1);                                      // X_PM_TMR_BLK in I/O space
    EXPECT_EQ(fadt[209], 32);
    EXPECT_EQ(load_le<uint64_t>(fadt, 212), pc::k_pm_timer_port);
    EXPECT_EQ(sum(fadt), 0);
    EXPECT_EQ(load_le<uint32_t>(none, 76), 0u);
    EXPECT_EQ(none[91], 0);
    EXPECT_EQ(none[208], 0);
}
