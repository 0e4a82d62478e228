#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "machine/acpi/acpi_tables.h"
#include "machine/acpi/aml.h"
#include "machine/acpi/sdt.h"
#include "machine/boot/le_bytes.h"

using namespace vireo;

namespace {

uint8_t sum(std::span<const uint8_t> bytes)
{
    uint8_t total = 0;
    for (uint8_t b : bytes)
        total = static_cast<uint8_t>(total + b);
    return total;
}

struct Tables {
    AcpiTables built;

    std::span<const uint8_t> at(uint64_t address, uint64_t length) const
    {
        EXPECT_GE(address, built.address);
        EXPECT_LE(address - built.address + length, built.image.size());
        return std::span<const uint8_t>(built.image).subspan(address - built.address, length);
    }
    std::span<const uint8_t> table(uint64_t address) const
    {
        const uint32_t length = load_le<uint32_t>(at(address, 8), 4);
        return at(address, length);
    }
    std::span<const uint8_t> rsdp() const { return at(built.rsdp_address, 36); }
    std::span<const uint8_t> xsdt() const { return table(load_le<uint64_t>(rsdp(), 24)); }
    // A table listed in the XSDT by signature.
    std::span<const uint8_t> find(std::string_view signature) const
    {
        auto x = xsdt();
        for (size_t offset = 36; offset + 8 <= x.size(); offset += 8) {
            auto t = table(load_le<uint64_t>(x, offset));
            if (std::string_view(reinterpret_cast<const char*>(t.data()), 4) == signature)
                return t;
        }
        ADD_FAILURE() << "no " << signature;
        return {};
    }
};

Tables build(uint32_t cpus = 4, CpuTopology topology = { 1, 2, 2 })
{
    AcpiConfig config;
    config.topology = topology;
    config.cpu_count = cpus;
    config.ram_top = 5ULL << 30;
    config.pci_intx_gsis = { 16, 17, 18, 19 };
    return Tables { build_acpi_tables(config).value() };
}

bool contains(std::span<const uint8_t> haystack, std::span<const uint8_t> needle)
{
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

bool contains(std::span<const uint8_t> haystack, std::string_view needle)
{
    return contains(haystack, std::span(reinterpret_cast<const uint8_t*>(needle.data()), needle.size()));
}

} // namespace

TEST(Acpi, RsdpIsValidAndInTheBiosArea)
{
    auto tables = build();
    auto rsdp = tables.rsdp();
    EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(rsdp.data()), 8), "RSD PTR ");
    EXPECT_EQ(rsdp[15], 2);
    EXPECT_EQ(sum(rsdp.first(20)), 0);
    EXPECT_EQ(sum(rsdp), 0);
    EXPECT_EQ(tables.built.rsdp_address % 16, 0u);
    EXPECT_GE(tables.built.rsdp_address, pc::k_bios_area_start);
    EXPECT_LE(tables.built.address + tables.built.image.size(), pc::k_bios_area_end);
}

TEST(Acpi, EveryTableChecksums)
{
    auto tables = build();
    auto xsdt = tables.xsdt();
    EXPECT_EQ(sum(xsdt), 0);
    EXPECT_EQ(sum(tables.table(load_le<uint32_t>(tables.rsdp(), 16))), 0); // RSDT
    ASSERT_EQ(xsdt.size(), 36u + 2 * 8);
    for (auto name : { "FACP", "APIC" })
        EXPECT_EQ(sum(tables.find(name)), 0) << name;
    auto fadt = tables.find("FACP");
    EXPECT_EQ(sum(tables.table(load_le<uint64_t>(fadt, 140))), 0); // DSDT
}

TEST(Acpi, FadtFields)
{
    auto tables = build();
    auto fadt = tables.find("FACP");
    ASSERT_EQ(fadt.size(), 276u);
    EXPECT_EQ(fadt[8], 6);                                                 // revision
    EXPECT_EQ(load_le<uint16_t>(fadt, 46), pc::k_sci_irq);                 // SCI_INT
    EXPECT_EQ(load_le<uint32_t>(fadt, 48), 0u);                            // SMI_CMD
    EXPECT_EQ(load_le<uint32_t>(fadt, 56), pc::k_pm1a_event_port);
    EXPECT_EQ(load_le<uint32_t>(fadt, 64), pc::k_pm1a_control_port);
    EXPECT_EQ(fadt[88], 4);
    EXPECT_EQ(fadt[89], 2);
    EXPECT_EQ(load_le<uint16_t>(fadt, 109), 0x3);                          // legacy devices + 8042
    const uint32_t flags = load_le<uint32_t>(fadt, 112);
    EXPECT_TRUE(flags & (1u << 10));                                       // RESET_REG_SUP
    EXPECT_FALSE(flags & (1u << 20));                                      // not hardware-reduced
    EXPECT_FALSE(flags & (1u << 4));                                       // fixed power button
    EXPECT_EQ(fadt[116], 1);                                               // RESET_REG in I/O space
    EXPECT_EQ(load_le<uint64_t>(fadt, 120), pc::k_reset_control_port);
    EXPECT_EQ(fadt[128], pc::k_reset_value);
    EXPECT_EQ(load_le<uint64_t>(fadt, 140), load_le<uint32_t>(fadt, 40));  // X_DSDT == DSDT
    EXPECT_EQ(load_le<uint64_t>(fadt, 132), load_le<uint32_t>(fadt, 36));  // X_FIRMWARE_CTRL
    auto facs = tables.at(load_le<uint32_t>(fadt, 36), 64);
    EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(facs.data()), 4), "FACS");
    EXPECT_EQ(load_le<uint32_t>(fadt, 36) % 64, 0u);
}

TEST(Acpi, MadtListsCpusIoApicAndOverrides)
{
    auto tables = build(8, CpuTopology { 2, 2, 2 });
    auto madt = tables.find("APIC");
    EXPECT_EQ(load_le<uint32_t>(madt, 36), pc::k_lapic_address);
    EXPECT_EQ(load_le<uint32_t>(madt, 40), 1u); // PCAT_COMPAT

    std::vector<uint8_t> types;
    std::vector<uint8_t> apic_ids;
    for (size_t offset = 44; offset < madt.size(); offset += madt[offset + 1]) {
        ASSERT_GE(madt[offset + 1], 2);
        types.push_back(madt[offset]);
        if (madt[offset] == 0) {
            apic_ids.push_back(madt[offset + 3]);
            EXPECT_EQ(load_le<uint32_t>(madt, offset + 4), 1u);
        }
        if (madt[offset] == 1) {
            EXPECT_EQ(load_le<uint32_t>(madt, offset + 4), pc::k_ioapic_address);
            EXPECT_EQ(load_le<uint32_t>(madt, offset + 8), 0u);
        }
        if (madt[offset] == 2 && madt[offset + 3] == 0) {
            EXPECT_EQ(load_le<uint32_t>(madt, offset + 4), 2u);
        }
        if (madt[offset] == 2 && madt[offset + 3] == 9) {
            EXPECT_EQ(load_le<uint32_t>(madt, offset + 4), 9u);
            EXPECT_EQ(load_le<uint16_t>(madt, offset + 8), 0xd); // level, active high
        }
    }
    EXPECT_EQ(types, (std::vector<uint8_t> { 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 4 }));
    EXPECT_EQ(apic_ids, (std::vector<uint8_t> { 0, 1, 2, 3, 4, 5, 6, 7 }));
}

TEST(Acpi, MadtUsesSparseApicIds)
{
    auto tables = build(6, CpuTopology { 2, 3, 1 });
    auto madt = tables.find("APIC");
    std::vector<uint8_t> apic_ids;
    for (size_t offset = 44; offset < madt.size(); offset += madt[offset + 1])
        if (madt[offset] == 0)
            apic_ids.push_back(madt[offset + 3]);
    EXPECT_EQ(apic_ids, (std::vector<uint8_t> { 0, 1, 2, 4, 5, 6 }));
}

TEST(Acpi, DsdtHasS5PciRootAndCom1)
{
    auto tables = build();
    auto dsdt = tables.table(load_le<uint64_t>(tables.find("FACP"), 140));
    EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(dsdt.data()), 4), "DSDT");
    // Name(\_S5_, Package(4) {5, 5, 0, 0})
    const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 5, 0x0a, 5, 0x00, 0x00 };
    EXPECT_TRUE(contains(dsdt, s5));
    const uint8_t pnp0a03[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
    EXPECT_TRUE(contains(dsdt, pnp0a03));
    const uint8_t pnp0501[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 };
    EXPECT_TRUE(contains(dsdt, pnp0501));
    EXPECT_TRUE(contains(dsdt, "PCI0"));
    EXPECT_TRUE(contains(dsdt, "_PRT"));
    // The 32-bit window as a DWord memory descriptor: min 0xC0000000, max 0xFEBFFFFF.
    const uint8_t window[] = { 0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xbf, 0xfe };
    EXPECT_TRUE(contains(dsdt, window));
    // The 64-bit window starts at 5 GiB (RAM top, 1 GiB aligned).
    uint8_t window64[8];
    store_le<uint64_t>(window64, 0, 5ULL << 30);
    EXPECT_TRUE(contains(dsdt, window64));
}

TEST(Acpi, ExtraTablesAreListedWithChecksums)
{
    acpi::TableWriter writer("TEST", 1);
    writer.u32(0x12345678);
    auto extra = writer.finish();
    extra[40] = 0x99; // checksum now wrong; the builder fixes it
    AcpiConfig config;
    config.extra_tables.push_back(extra);
    Tables tables { build_acpi_tables(config).value() };
    EXPECT_EQ(sum(tables.find("TEST")), 0);
}

TEST(Acpi, RejectsMoreCpusThanTheTopologyHolds)
{
    AcpiConfig config;
    config.topology = { 1, 2, 1 };
    config.cpu_count = 3;
    EXPECT_FALSE(build_acpi_tables(config));
}

TEST(Aml, PkgLengthEncodings)
{
    EXPECT_EQ(aml::pkg_length(10), (aml::Bytes { 11 }));
    EXPECT_EQ(aml::pkg_length(62), (aml::Bytes { 63 }));
    // 63 + 2 = 65 = 0x41: two bytes, low nibble 1, then 0x04
    EXPECT_EQ(aml::pkg_length(63), (aml::Bytes { 0x41, 0x04 }));
    // 0x1000 - 2 + 3 = 0x1001: three bytes
    EXPECT_EQ(aml::pkg_length(0xffe), (aml::Bytes { 0x81, 0x00, 0x01 }));
}

TEST(Aml, NamesAndIntegers)
{
    EXPECT_EQ(aml::name_string("_HID"), (aml::Bytes { '_', 'H', 'I', 'D' }));
    EXPECT_EQ(aml::name_string("\\_SB.PCI0"), (aml::Bytes { '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0' }));
    EXPECT_EQ(aml::name_string("\\_SB.PCI0.ISA"),
        (aml::Bytes { '\\', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I', 'S', 'A', '_' }));
    EXPECT_EQ(aml::integer(0), (aml::Bytes { 0 }));
    EXPECT_EQ(aml::integer(1), (aml::Bytes { 1 }));
    EXPECT_EQ(aml::integer(0x1234), (aml::Bytes { 0x0b, 0x34, 0x12 }));
    EXPECT_EQ(aml::integer(0x1'0000'0000).size(), 9u);
    EXPECT_EQ(aml::string("ab"), (aml::Bytes { 0x0d, 'a', 'b', 0 }));
    EXPECT_EQ(aml::method("_STA", 0, aml::return_value(aml::integer(0xf))),
        (aml::Bytes { 0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f }));
}

TEST(Aml, ResourceTemplateEndsWithEndTag)
{
    aml::ResourceTemplate crs;
    crs.io(0x3f8, 0x3f8, 1, 8);
    crs.irq(4);
    auto buffer = crs.buffer();
    // BufferOp, PkgLength, BufferSize (byte 13), 8 + 3 + 2 bytes
    EXPECT_EQ(buffer, (aml::Bytes { 0x11, 0x10, 0x0a, 13, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10,
                          0x00, 0x79, 0x00 }));
}
