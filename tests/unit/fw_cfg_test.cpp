#include <array>
#include <bit>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "devices/firmware/fw_cfg.h"
#include "memory/guest_memory.h"

using namespace vireo;

namespace {

constexpr GuestAddress k_ram_start = 0x10000;
constexpr uint64_t k_ram_size = 0x10000;
constexpr GuestAddress k_descriptor = k_ram_start + 0x100;
constexpr GuestAddress k_buffer = k_ram_start + 0x1000;

GuestMemory small_ram()
{
    std::array<GuestRegionSpec, 1> specs { GuestRegionSpec { k_ram_start, k_ram_size } };
    return GuestMemory::create(specs).value();
}

// Drives the device through its ports, as the firmware does.
struct Driver {
    GuestMemory memory = small_ram();
    FwCfg device { memory };

    void select(uint16_t key)
    {
        std::array<uint8_t, 2> bytes { static_cast<uint8_t>(key), static_cast<uint8_t>(key >> 8) };
        device.write(FwCfg::k_selector_offset, bytes);
    }
    std::vector<uint8_t> read_data(size_t count)
    {
        std::vector<uint8_t> out(count);
        for (auto& byte : out) {
            std::array<uint8_t, 1> one {};
            device.read(FwCfg::k_data_offset, one);
            byte = one[0];
        }
        return out;
    }
    std::vector<uint8_t> read_item(uint16_t key, size_t count)
    {
        select(key);
        return read_data(count);
    }
    // Writes a descriptor at `at` and starts it with the two 32-bit halves (high first).
    uint32_t dma(uint32_t control, uint32_t length, uint64_t address, GuestAddress at = k_descriptor)
    {
        std::array<uint32_t, 4> raw { std::byteswap(control), std::byteswap(length),
            std::byteswap(static_cast<uint32_t>(address >> 32)), std::byteswap(static_cast<uint32_t>(address)) };
        EXPECT_TRUE(memory.write_obj(at, raw));
        start_dma(at);
        return std::byteswap(memory.read_obj<uint32_t>(at).value());
    }
    void start_dma(uint64_t at)
    {
        std::array<uint8_t, 4> high {}, low {};
        for (int i = 0; i < 4; ++i) {
            high[i] = static_cast<uint8_t>(at >> (56 - 8 * i));
            low[i] = static_cast<uint8_t>(at >> (24 - 8 * i));
        }
        device.write(FwCfg::k_dma_offset, high);
        device.write(FwCfg::k_dma_offset + 4, low);
    }
    std::vector<uint8_t> ram(GuestAddress address, size_t count)
    {
        std::vector<uint8_t> out(count);
        EXPECT_TRUE(memory.read(address, out));
        return out;
    }
};

std::vector<uint8_t> bytes(std::string_view text) { return { text.begin(), text.end() }; }

uint32_t be32(const std::vector<uint8_t>& data, size_t at)
{
    return uint32_t(data[at]) << 24 | uint32_t(data[at + 1]) << 16 | uint32_t(data[at + 2]) << 8 | data[at + 3];
}

} // namespace

TEST(FwCfg, SignatureAndFeaturesReadThroughTheDataPort)
{
    Driver driver;

    auto signature = driver.read_item(fw_cfg::k_signature, 4);
    auto features = driver.read_item(fw_cfg::k_id, 4);

    EXPECT_EQ(signature, bytes("QEMU"));
    EXPECT_EQ(features, (std::vector<uint8_t> { 3, 0, 0, 0 })); // traditional + DMA
}

TEST(FwCfg, ReadsPastTheEndAndUnknownKeysGiveZeros)
{
    Driver driver;
    ASSERT_TRUE(driver.device.add_u16(fw_cfg::k_nb_cpus, 0x0203));

    auto cpus = driver.read_item(fw_cfg::k_nb_cpus, 4);
    auto unknown = driver.read_item(0x1234, 3);

    EXPECT_EQ(cpus, (std::vector<uint8_t> { 3, 2, 0, 0 }));
    EXPECT_EQ(unknown, (std::vector<uint8_t> { 0, 0, 0 }));
}

TEST(FwCfg, WideDataReadReturnsConsecutiveBytes)
{
    Driver driver;
    driver.select(fw_cfg::k_signature);
    std::array<uint8_t, 4> wide {};

    driver.device.read(FwCfg::k_data_offset, wide);

    EXPECT_EQ(std::string(wide.begin(), wide.end()), "QEMU");
}

TEST(FwCfg, SelectingRewindsAndTheWriteChannelBitSelectsTheSameItem)
{
    Driver driver;
    (void)driver.read_item(fw_cfg::k_signature, 2);

    auto again = driver.read_item(fw_cfg::k_signature | fw_cfg::k_write_channel, 4);

    EXPECT_EQ(again, bytes("QEMU"));
}

TEST(FwCfg, DmaRegisterReadsTheSignature)
{
    Driver driver;
    std::array<uint8_t, 4> high {}, low {};

    driver.device.read(FwCfg::k_dma_offset, high);
    driver.device.read(FwCfg::k_dma_offset + 4, low);

    EXPECT_EQ(std::string(high.begin(), high.end()) + std::string(low.begin(), low.end()), "QEMU CFG");
}

TEST(FwCfg, FileDirectoryIsSortedByNameWithStableKeys)
{
    Driver driver;
    auto zebra = driver.device.add_file("zebra", bytes("zz"));
    auto alpha = driver.device.add_file("etc/alpha", bytes("alpha!"));
    ASSERT_TRUE(zebra && alpha);

    auto header = driver.read_item(fw_cfg::k_file_dir, 4);
    auto entries = driver.read_data(2 * fw_cfg::k_dir_entry_size);

    EXPECT_EQ(*zebra, fw_cfg::k_file_first);
    EXPECT_EQ(*alpha, fw_cfg::k_file_first + 1);
    EXPECT_EQ(be32(header, 0), 2u);
    EXPECT_EQ(be32(entries, 0), 6u); // etc/alpha first
    EXPECT_EQ(entries[4] << 8 | entries[5], *alpha);
    EXPECT_STREQ(reinterpret_cast<const char*>(&entries[8]), "etc/alpha");
    EXPECT_EQ(be32(entries, 64), 2u);
    EXPECT_EQ(entries[68] << 8 | entries[69], *zebra);
    EXPECT_STREQ(reinterpret_cast<const char*>(&entries[72]), "zebra");
}

TEST(FwCfg, FileNamesMustBeUniqueAndShort)
{
    Driver driver;
    ASSERT_TRUE(driver.device.add_file("bootorder", {}));

    EXPECT_FALSE(driver.device.add_file("bootorder", {}));
    EXPECT_FALSE(driver.device.add_file(std::string(56, 'x'), {}));
    EXPECT_TRUE(driver.device.add_file(std::string(55, 'x'), {}));
    EXPECT_FALSE(driver.device.add_file("", {}));
}

TEST(FwCfg, FixedKeysCannotTakeFileOrDeviceKeys)
{
    Driver driver;

    EXPECT_FALSE(driver.device.add_item(fw_cfg::k_file_first, {}));
    EXPECT_FALSE(driver.device.add_item(fw_cfg::k_signature, {}));
    EXPECT_FALSE(driver.device.add_item(fw_cfg::k_file_dir, {}));
    EXPECT_FALSE(driver.device.add_item(0x4005, {}));
    EXPECT_TRUE(driver.device.add_u32(fw_cfg::k_irq0_override, 1));
}

TEST(FwCfg, DmaSelectAndReadCopiesTheItemAndZeroFillsPastItsEnd)
{
    Driver driver;
    auto key = driver.device.add_file("etc/thing", bytes("hello")).value();
    ASSERT_TRUE(driver.memory.write_obj<uint64_t>(k_buffer, ~0ULL));

    uint32_t status = driver.dma(uint32_t(key) << 16 | fw_cfg::k_dma_select | fw_cfg::k_dma_read, 8, k_buffer);

    EXPECT_EQ(status, 0u);
    EXPECT_EQ(driver.ram(k_buffer, 8), (std::vector<uint8_t> { 'h', 'e', 'l', 'l', 'o', 0, 0, 0 }));
}

TEST(FwCfg, DmaSkipAdvancesTheOffsetSharedWithTheDataPort)
{
    Driver driver;
    auto key = driver.device.add_file("etc/thing", bytes("0123456789")).value();

    uint32_t skip = driver.dma(uint32_t(key) << 16 | fw_cfg::k_dma_select | fw_cfg::k_dma_skip, 4, 0);
    auto port = driver.read_data(2);
    uint32_t read = driver.dma(fw_cfg::k_dma_read, 3, k_buffer);

    EXPECT_EQ(skip, 0u);
    EXPECT_EQ(port, bytes("45"));
    EXPECT_EQ(read, 0u);
    EXPECT_EQ(driver.ram(k_buffer, 3), bytes("678"));
}

TEST(FwCfg, DmaReadOutsideRamSetsErrorAndWritesNothing)
{
    Driver driver;
    auto key = driver.device.add_file("etc/thing", bytes("data")).value();
    const uint32_t control = uint32_t(key) << 16 | fw_cfg::k_dma_select | fw_cfg::k_dma_read;

    EXPECT_EQ(driver.dma(control, 4, 0x1000), fw_cfg::k_dma_error);                         // below RAM
    EXPECT_EQ(driver.dma(control, 8, k_ram_start + k_ram_size - 4), fw_cfg::k_dma_error);   // crosses the end
    EXPECT_EQ(driver.dma(control, 16, ~0ULL - 7), fw_cfg::k_dma_error);                     // wraps
    EXPECT_EQ(driver.dma(control, 0xffff'ffff, k_buffer), fw_cfg::k_dma_error);              // huge
}

TEST(FwCfg, DmaZeroFillOfALongRangeInsideRamSucceeds)
{
    Driver driver;
    ASSERT_TRUE(driver.memory.write_obj<uint8_t>(k_ram_start + 0x8000, 0xaa));

    uint32_t status = driver.dma(0x1234u << 16 | fw_cfg::k_dma_select | fw_cfg::k_dma_read, 0x9000, k_ram_start + 0x2000);

    EXPECT_EQ(status, 0u);
    EXPECT_EQ(driver.memory.read_obj<uint8_t>(k_ram_start + 0x8000).value(), 0);
}

TEST(FwCfg, DmaDescriptorOutsideRamIsIgnored)
{
    Driver driver;

    driver.start_dma(0x1'0000'0000);
    driver.start_dma(k_ram_start + k_ram_size - 8); // the descriptor itself crosses the end

    SUCCEED(); // nothing to report to, nothing crashed
}

TEST(FwCfg, DmaWriteOnlyToWritableFilesAndWithinThem)
{
    Driver driver;
    auto read_only = driver.device.add_file("etc/ro", bytes("abcd")).value();
    auto writable = driver.device.add_file("etc/rw", bytes("abcd"), FwCfg::Access::ReadWrite).value();
    ASSERT_TRUE(driver.memory.write(k_buffer, bytes("WXYZ!")));

    uint32_t refused = driver.dma(uint32_t(read_only) << 16 | fw_cfg::k_dma_select | fw_cfg::k_dma_write, 2, k_buffer);
    uint32_t too_long = driver.dma(uint32_t(writable) << 16 | fw_cfg::k_dma_select | fw_cfg::k_dma_write, 5, k_buffer);
    uint32_t skip = driver.dma(uint32_t(writable) << 16 | fw_cfg::k_dma_select | fw_cfg::k_dma_skip, 1, 0);
    uint32_t written = driver.dma(fw_cfg::k_dma_write, 2, k_buffer);

    EXPECT_EQ(refused, fw_cfg::k_dma_error);
    EXPECT_EQ(too_long, fw_cfg::k_dma_error);
    EXPECT_EQ(skip, 0u);
    EXPECT_EQ(written, 0u);
    EXPECT_EQ(driver.device.item(read_only).value(), bytes("abcd"));
    EXPECT_EQ(driver.device.item(writable).value(), bytes("aWXd"));
}

TEST(FwCfg, EightByteDmaRegisterWriteStartsATransfer)
{
    Driver driver;
    std::array<uint32_t, 4> raw { std::byteswap(fw_cfg::k_dma_select | fw_cfg::k_dma_read), std::byteswap(4u), 0,
        std::byteswap(static_cast<uint32_t>(k_buffer)) };
    ASSERT_TRUE(driver.memory.write_obj(k_descriptor, raw));
    std::array<uint8_t, 8> address {};
    for (int i = 0; i < 8; ++i)
        address[i] = static_cast<uint8_t>(k_descriptor >> (56 - 8 * i));

    driver.device.write(FwCfg::k_dma_offset, address);

    EXPECT_EQ(driver.memory.read_obj<uint32_t>(k_descriptor).value(), 0u);
    EXPECT_EQ(driver.ram(k_buffer, 4), bytes("QEMU"));
}

TEST(FwCfg, SaveAndRestoreKeepTheSelection)
{
    Driver driver;
    auto key = driver.device.add_file("etc/thing", bytes("0123456789")).value();
    driver.select(key);
    (void)driver.read_data(3);
    auto state = driver.device.save();
    Driver other;
    ASSERT_TRUE(other.device.add_file("etc/thing", bytes("0123456789")));

    other.device.restore(state);

    EXPECT_EQ(other.read_data(2), bytes("34"));
    other.device.reset();
    EXPECT_EQ(other.read_data(4), bytes("QEMU"));
}
