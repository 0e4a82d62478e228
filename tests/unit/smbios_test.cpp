#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "machine/boot/le_bytes.h"
#include "machine/firmware/smbios.h"

using namespace vireo;

namespace {

struct Parsed {
    uint8_t type;
    uint16_t handle;
    std::vector<uint8_t> formatted;
    std::vector<std::string> strings;

    std::string string(size_t field) const
    {
        const uint8_t index = formatted.at(field);
        return index == 0 ? std::string() : strings.at(index - 1);
    }
};

// Walks the structures the way dmidecode does; fails on anything malformed.
std::vector<Parsed> walk(const std::vector<uint8_t>& tables)
{
    std::vector<Parsed> out;
    size_t at = 0;
    while (at < tables.size()) {
        EXPECT_LE(at + 4, tables.size());
        const uint8_t length = tables[at + 1];
        EXPECT_GE(length, 4);
        Parsed parsed { tables[at], load_le<uint16_t>(tables, at + 2), { tables.begin() + at, tables.begin() + at + length }, {} };
        size_t cursor = at + length;
        if (tables.at(cursor) == 0 && tables.at(cursor + 1) == 0) {
            cursor += 2;
        } else {
            while (tables.at(cursor) != 0) {
                std::string text(reinterpret_cast<const char*>(&tables[cursor]));
                cursor += text.size() + 1;
                parsed.strings.push_back(text);
            }
            ++cursor;
        }
        out.push_back(parsed);
        at = cursor;
    }
    EXPECT_EQ(at, tables.size());
    return out;
}

uint8_t sum(std::span<const uint8_t> bytes)
{
    uint8_t total = 0;
    for (uint8_t b : bytes)
        total = static_cast<uint8_t>(total + b);
    return total;
}

smbios::SmbiosConfig config()
{
    smbios::SmbiosConfig config;
    config.cpus = 4;
    config.topology = { 2, 2, 1 };
    config.ram_size = 512ULL << 20;
    config.ram_regions = { { 0, 512ULL << 20 } };
    return config;
}

std::vector<uint8_t> types(const std::vector<Parsed>& parsed)
{
    std::vector<uint8_t> out;
    for (const auto& p : parsed)
        out.push_back(p.type);
    return out;
}

} // namespace

TEST(Smbios, AnchorDescribesTheTablesWithValidChecksums)
{
    auto files = smbios::build_smbios(config()).value();
    auto parsed = walk(files.tables);

    ASSERT_EQ(files.anchor.size(), 31u);
    EXPECT_EQ(std::string(files.anchor.begin(), files.anchor.begin() + 4), "_SM_");
    EXPECT_EQ(std::string(files.anchor.begin() + 16, files.anchor.begin() + 21), "_DMI_");
    EXPECT_EQ(sum(files.anchor), 0);
    EXPECT_EQ(sum(std::span(files.anchor).subspan(16)), 0);
    EXPECT_EQ(files.anchor[6], 2);
    EXPECT_EQ(files.anchor[7], 8);
    EXPECT_EQ(load_le<uint16_t>(files.anchor, 22), files.tables.size());
    EXPECT_EQ(load_le<uint32_t>(files.anchor, 24), 0u); // the firmware fills it in
    EXPECT_EQ(load_le<uint16_t>(files.anchor, 28), parsed.size());
}

TEST(Smbios, StructuresInQemuOrderWithoutType0ByDefault)
{
    auto parsed = walk(smbios::build_smbios(config()).value().tables);

    EXPECT_EQ(types(parsed), (std::vector<uint8_t> { 1, 3, 4, 4, 16, 17, 19, 32, 127 }));
    EXPECT_EQ(parsed[2].handle, 0x400);
    EXPECT_EQ(parsed[3].handle, 0x401);
    EXPECT_EQ(parsed[8].handle, 0x7f00);
    EXPECT_EQ(parsed[2].string(4), "CPU 0");
    EXPECT_EQ(parsed[2].formatted[35], 2); // cores
    EXPECT_EQ(parsed[2].formatted[37], 2); // threads per socket
}

TEST(Smbios, SystemInformationDefaultsAndOverrides)
{
    auto plain = walk(smbios::build_smbios(config()).value().tables);
    auto custom = config();
    custom.uuid = smbios::Uuid { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
    custom.type1.manufacturer = "Acme";
    custom.type1.serial = "SN42";
    custom.type1.family = "";
    auto overridden = walk(smbios::build_smbios(custom).value().tables);

    EXPECT_EQ(plain[0].string(4), "QEMU");
    EXPECT_EQ(plain[0].string(5), "Standard PC (i440FX + PIIX, 1996)");
    EXPECT_EQ(plain[0].string(6), "pc-i440fx-7.2");
    EXPECT_EQ(plain[0].string(7), "");
    EXPECT_EQ(std::vector<uint8_t>(plain[0].formatted.begin() + 8, plain[0].formatted.begin() + 24), std::vector<uint8_t>(16, 0));
    EXPECT_EQ(overridden[0].string(4), "Acme");
    EXPECT_EQ(overridden[0].string(7), "SN42");
    EXPECT_EQ(overridden[0].string(26), "");
    EXPECT_EQ(std::vector<uint8_t>(overridden[0].formatted.begin() + 8, overridden[0].formatted.begin() + 24),
        (std::vector<uint8_t> { 0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff }));
    EXPECT_EQ(overridden[1].string(4), "QEMU"); // the chassis keeps the default
}

TEST(Smbios, Type0OnlyWhenItsFieldsAreGiven)
{
    auto custom = config();
    custom.type0.vendor = "Vireo";
    custom.type0.release = std::array<uint8_t, 2> { 1, 2 };

    auto parsed = walk(smbios::build_smbios(custom).value().tables);

    ASSERT_EQ(parsed[0].type, 0);
    EXPECT_EQ(parsed[0].formatted.size(), 0x18u);
    EXPECT_EQ(parsed[0].string(4), "Vireo");
    EXPECT_EQ(parsed[0].string(5), "");
    EXPECT_EQ(load_le<uint16_t>(parsed[0].formatted, 6), 0xe800);
    EXPECT_EQ(load_le<uint64_t>(parsed[0].formatted, 10), 0x08u);
    EXPECT_EQ(parsed[0].formatted[19], 0x14);
    EXPECT_EQ(parsed[0].formatted[20], 1);
    EXPECT_EQ(parsed[0].formatted[21], 2);
}

TEST(Smbios, LargeMemorySplitsIntoDevicesAndMapsRegionsAbove4G)
{
    auto big = config();
    big.ram_size = 20ULL << 30;
    big.ram_regions = { { 0, 3ULL << 30 }, { 1ULL << 32, 17ULL << 30 } };

    auto parsed = walk(smbios::build_smbios(big).value().tables);

    EXPECT_EQ(types(parsed), (std::vector<uint8_t> { 1, 3, 4, 4, 16, 17, 17, 19, 19, 32, 127 }));
    EXPECT_EQ(load_le<uint32_t>(parsed[4].formatted, 7), 20u << 20); // KiB
    EXPECT_EQ(load_le<uint16_t>(parsed[4].formatted, 13), 2);
    EXPECT_EQ(load_le<uint16_t>(parsed[5].formatted, 12), 0x4000); // 16 GiB in MiB
    EXPECT_EQ(load_le<uint16_t>(parsed[6].formatted, 12), 0x1000); // the last 4 GiB
    EXPECT_EQ(parsed[6].string(16), "DIMM 1");
    EXPECT_EQ(parsed[6].handle, 0x1101);
    EXPECT_EQ(load_le<uint32_t>(parsed[7].formatted, 8), (3u << 20) - 1);
    EXPECT_EQ(load_le<uint32_t>(parsed[8].formatted, 4), 4u << 20);
    EXPECT_EQ(load_le<uint32_t>(parsed[8].formatted, 8), (21u << 20) - 1);
    EXPECT_EQ(load_le<uint16_t>(parsed[8].formatted, 12), 0x1000);
}

TEST(Smbios, RejectsMissingCpusOrRam)
{
    auto no_ram = config();
    no_ram.ram_regions.clear();

    EXPECT_FALSE(smbios::build_smbios(no_ram));
    EXPECT_FALSE(smbios::build_smbios(smbios::SmbiosConfig {}));
}
