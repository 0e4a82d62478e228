// The PIIX3 IDE controller with ATA disks, driven through its ports as a guest driver would.
#include <gtest/gtest.h>

#include "devices/ide/ata_spec.h"
#include "ide_test_support.h"

namespace vireo {
namespace {

using namespace test;
using namespace ata;

constexpr uint16_t P = IdeBench::k_primary;
constexpr uint16_t CTL = IdeBench::k_primary_control;
constexpr uint64_t k_disk_size = 64 << 20;

struct AtaFixture : ::testing::Test {
    std::shared_ptr<SparseDisk> disk = std::make_shared<SparseDisk>(k_disk_size);
    IdeBench bench { { disk_spec(disk), IdeDriveSpec {}, IdeDriveSpec {}, IdeDriveSpec {} } };

    std::array<uint16_t, 256> identify()
    {
        bench.outb(P + 6, 0xa0);
        bench.outb(P + 7, k_cmd_identify);
        EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_drq);
        auto bytes = bench.insw(P, 256);
        std::array<uint16_t, 256> words {};
        std::memcpy(words.data(), bytes.data(), 512);
        return words;
    }
};

std::string ata_string(std::span<const uint16_t> words)
{
    std::string text;
    for (uint16_t w : words) {
        text.push_back(static_cast<char>(w >> 8));
        text.push_back(static_cast<char>(w & 0xff));
    }
    while (!text.empty() && text.back() == ' ')
        text.pop_back();
    return text;
}

TEST_F(AtaFixture, IdentifyDeviceWords)
{
    auto id = identify();
    EXPECT_EQ(ata_string(std::span(id).subspan(27, 20)), "VIREO HARDDISK");
    EXPECT_EQ(ata_string(std::span(id).subspan(10, 10)), "VR00001");
    EXPECT_EQ(id[0] & 0x8000, 0);
    EXPECT_EQ(id[47], 0x8000 | k_max_multiple);
    EXPECT_EQ(id[49] & 0x0300, 0x0300); // LBA, DMA
    uint64_t sectors = k_disk_size / 512;
    EXPECT_EQ(id[60] | uint32_t { id[61] } << 16, sectors);
    EXPECT_EQ(id[100] | uint64_t { id[101] } << 16 | uint64_t { id[102] } << 32 | uint64_t { id[103] } << 48, sectors);
    EXPECT_TRUE(id[83] & (1 << 10)); // 48-bit
    EXPECT_TRUE(id[83] & (1 << 12)); // FLUSH CACHE
    EXPECT_TRUE(id[83] & (1 << 13)); // FLUSH CACHE EXT
    EXPECT_TRUE(id[85] & (1 << 5));  // write cache enabled
    EXPECT_EQ(id[88] & 0x3f, 0x3f);  // UDMA 0-5
    EXPECT_EQ(id[63] & 0x07, 0x07);  // MWDMA 0-2
    uint8_t sum = 0;
    for (uint16_t w : id)
        sum = static_cast<uint8_t>(sum + (w & 0xff) + (w >> 8));
    EXPECT_EQ(sum, 0);
    EXPECT_EQ(id[255] & 0xff, 0xa5);
    // The single block is read: no DRQ, no further interrupt.
    EXPECT_EQ(bench.inb(CTL), k_st_drdy | k_st_dsc);
}

TEST_F(AtaFixture, PioReadSectorsLba28OneInterruptPerBlock)
{
    auto data = pattern_bytes(1024, 3);
    disk->put(5 * 512, data);
    bench.lba28(0, 5, 2, k_cmd_read_sectors);
    EXPECT_EQ(bench.inb(CTL), k_st_bsy); // the image has not answered yet
    EXPECT_FALSE(bench.irq14->level);
    bench.complete_io();
    EXPECT_TRUE(bench.irq14->level);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_drq);
    EXPECT_FALSE(bench.irq14->level); // reading Status acknowledges
    auto first = bench.insw(P, 256);
    EXPECT_TRUE(bench.irq14->level); // the second block's DRQ interrupt
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_drq);
    auto second = bench.insw(P, 256);
    first.insert(first.end(), second.begin(), second.end());
    EXPECT_EQ(first, data);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    EXPECT_FALSE(bench.irq14->level); // no interrupt after the last block of a PIO read
}

TEST_F(AtaFixture, PioReadWithWordAndDwordAccesses)
{
    auto data = pattern_bytes(512, 9);
    disk->put(0, data);
    bench.lba28(0, 0, 1, k_cmd_read_sectors);
    bench.complete_io();
    std::vector<uint8_t> got;
    for (int i = 0; i < 64; ++i) {
        uint16_t w = bench.inw(P);
        got.push_back(static_cast<uint8_t>(w));
        got.push_back(static_cast<uint8_t>(w >> 8));
    }
    for (int i = 0; i < 96; ++i) {
        std::array<uint8_t, 4> b {};
        bench.pio.read(P, b);
        got.insert(got.end(), b.begin(), b.end());
    }
    EXPECT_EQ(got, data);
    EXPECT_EQ(bench.inb(P + 7) & k_st_drq, 0);
}

TEST_F(AtaFixture, PioWriteSectorsFirstBlockWithoutInterrupt)
{
    auto data = pattern_bytes(1024, 7);
    bench.lba28(0, 100, 2, k_cmd_write_sectors);
    EXPECT_EQ(bench.inb(CTL), k_st_drdy | k_st_dsc | k_st_drq);
    EXPECT_FALSE(bench.irq14->level);
    bench.outsw(P, std::span(data).first(512));
    EXPECT_TRUE(bench.irq14->level); // the next block is asked for
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_drq);
    bench.outsw(P, std::span(data).subspan(512));
    EXPECT_EQ(bench.inb(CTL), k_st_bsy);
    bench.complete_io();
    EXPECT_TRUE(bench.irq14->level);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    EXPECT_EQ(disk->get(100 * 512, 1024), data);
}

TEST(IdeAta, Lba48ReadPastTwoTerabytes)
{
    auto disk = std::make_shared<SparseDisk>(uint64_t { 4 } << 40);
    IdeBench bench { { disk_spec(disk), IdeDriveSpec {}, IdeDriveSpec {}, IdeDriveSpec {} } };
    uint64_t lba = 0x1'2345'6789;
    auto data = pattern_bytes(512 * 3, 1);
    disk->put(lba * 512, data);
    bench.lba48(0, lba, 3, k_cmd_read_sectors_ext);
    bench.complete_io();
    std::vector<uint8_t> got;
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_drq);
        auto block = bench.insw(P, 256);
        got.insert(got.end(), block.begin(), block.end());
    }
    EXPECT_EQ(got, data);
    // LBA28 cannot address it; IDENTIFY caps words 60-61.
    bench.outb(P + 6, 0xa0);
    bench.outb(P + 7, k_cmd_identify);
    auto id = bench.insw(P, 256);
    EXPECT_EQ(id[120] | id[121] << 8 | id[122] << 16 | id[123] << 24, 0x0fffffff);
}

TEST_F(AtaFixture, HobReadsPreviousRegisterContents)
{
    bench.outb(P + 3, 0x11);
    bench.outb(P + 3, 0x22);
    EXPECT_EQ(bench.inb(P + 3), 0x22);
    bench.outb(CTL, k_ctl_hob);
    EXPECT_EQ(bench.inb(P + 3), 0x11);
    bench.outb(CTL, 0);
    EXPECT_EQ(bench.inb(P + 3), 0x22);
}

TEST_F(AtaFixture, MultipleModeBlocks)
{
    bench.lba28(0, 0, 8, k_cmd_read_multiple);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_err); // multiple mode off: aborted
    EXPECT_EQ(bench.inb(P + 1), k_err_abrt);

    bench.outb(P + 2, 3); // not a power of two
    bench.outb(P + 7, k_cmd_set_multiple);
    EXPECT_EQ(bench.inb(P + 7) & k_st_err, k_st_err);
    bench.outb(P + 2, 4);
    bench.outb(P + 7, k_cmd_set_multiple);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    EXPECT_EQ(identify()[59], 0x0104);

    auto data = pattern_bytes(512 * 8, 5);
    disk->put(0, data);
    bench.lba28(0, 0, 8, k_cmd_read_multiple);
    bench.complete_io();
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_drq);
    auto first = bench.insw(P, 1024); // one DRQ block: 4 sectors
    EXPECT_TRUE(bench.irq14->level);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_drq);
    auto second = bench.insw(P, 1024);
    first.insert(first.end(), second.begin(), second.end());
    EXPECT_EQ(first, data);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);

    // WRITE MULTIPLE EXT, 6 sectors: blocks of 4 and 2.
    auto out = pattern_bytes(512 * 6, 77);
    bench.lba48(0, 1000, 6, k_cmd_write_multiple_ext);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_drq);
    bench.outsw(P, std::span(out).first(2048));
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_drq);
    bench.outsw(P, std::span(out).subspan(2048));
    bench.complete_io();
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    EXPECT_EQ(disk->get(1000 * 512, out.size()), out);
}

TEST_F(AtaFixture, ReadDmaThroughPrdTable)
{
    auto data = pattern_bytes(1024, 21);
    disk->put(40 * 512, data);
    bench.write_prd(0x1000, { { 0x10000, 512, false }, { 0x20000, 512, true } });
    bench.bm_setup(0x1000, true);
    bench.lba28(0, 40, 2, k_cmd_read_dma);
    EXPECT_EQ(bench.inb(CTL), k_st_drdy | k_st_dsc | k_st_drq); // waiting for the bus master
    bench.bm_start(true);
    // One image request straight into the two regions; the engine stays active meanwhile.
    EXPECT_EQ(bench.inb(CTL), k_st_bsy);
    EXPECT_EQ(bench.bm_status(), bmdma::k_st_active);
    bench.complete_io();
    EXPECT_TRUE(bench.irq14->level);
    EXPECT_EQ(bench.bm_status(), bmdma::k_st_interrupt); // table used exactly: Active 0
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    auto got = bench.ram(0x10000, 512);
    auto more = bench.ram(0x20000, 512);
    got.insert(got.end(), more.begin(), more.end());
    EXPECT_EQ(got, data);
}

TEST_F(AtaFixture, WriteDmaExtWithBusMasterStartedFirst)
{
    auto data = pattern_bytes(4096, 33);
    ASSERT_TRUE(bench.memory.write(0x30000, data));
    // A longer table than needed is fine: Active stays set.
    bench.write_prd(0x2000, { { 0x30000, 4096, false }, { 0x40000, 4096, true } });
    bench.bm_setup(0x2000, false);
    bench.bm_start(false);
    bench.lba48(0, 7, 8, k_cmd_write_dma_ext);
    EXPECT_EQ(bench.inb(CTL), k_st_bsy);
    bench.complete_io();
    EXPECT_TRUE(bench.irq14->level);
    EXPECT_EQ(bench.bm_status(), bmdma::k_st_interrupt | bmdma::k_st_active);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    EXPECT_EQ(disk->get(7 * 512, 4096), data);
}

TEST_F(AtaFixture, DmaLargeTransferSpansChunksAndZeroCountMeans64KiB)
{
    // 512 sectors = 256 KiB: four 64 KiB regions (count 0), one image request per command.
    auto data = pattern_bytes(256 * 1024, 2);
    disk->put(0, data);
    bench.write_prd(0x1000,
        { { 0x40000, 0, false }, { 0x50000, 0, false }, { 0x60000, 0, false }, { 0x70000, 0x10000, true } });
    bench.bm_setup(0x1000, true);
    bench.bm_start(true);
    bench.lba28(0, 0, 0, k_cmd_read_dma); // count 0 = 256 sectors
    bench.complete_io();
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    EXPECT_EQ(bench.ram(0x40000, 128 * 1024), std::vector<uint8_t>(data.begin(), data.begin() + 128 * 1024));
    EXPECT_EQ(bench.bm_status(), bmdma::k_st_interrupt | bmdma::k_st_active);

    bench.bm_setup(0x1000, true);
    bench.bm_start(true);
    bench.lba48(0, 0, 512, k_cmd_read_dma_ext);
    EXPECT_EQ(disk->pending(), 1u); // the four regions go in one request, no bounce buffer
    bench.complete_io();
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    EXPECT_EQ(bench.bm_status(), bmdma::k_st_interrupt); // exactly used up
    EXPECT_EQ(bench.ram(0x40000, data.size()), data);
}

TEST_F(AtaFixture, DmaPrdTableOutsideRamIsABusError)
{
    bench.bm_setup(0xfff000, true); // past the 1 MiB of RAM
    bench.bm_start(true);
    bench.lba28(0, 0, 1, k_cmd_read_dma);
    bench.complete_io();
    EXPECT_EQ(bench.bm_status(), bmdma::k_st_error | bmdma::k_st_interrupt);
    EXPECT_TRUE(bench.irq14->level);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_err);
    EXPECT_EQ(bench.inb(P + 1), k_err_abrt);
}

TEST_F(AtaFixture, DmaRegionOutsideRamIsABusError)
{
    bench.write_prd(0x1000, { { 0x0ff000, 0x2000, true } }); // runs past the end of RAM
    bench.bm_setup(0x1000, true);
    bench.bm_start(true);
    bench.lba28(0, 0, 16, k_cmd_read_dma);
    bench.complete_io();
    EXPECT_EQ(bench.bm_status(), bmdma::k_st_error | bmdma::k_st_interrupt);
    EXPECT_EQ(bench.inb(P + 7) & k_st_err, k_st_err);
}

TEST_F(AtaFixture, DmaTableWithoutEotAtA64KiBBoundaryIsABusError)
{
    bench.write_prd(0xfff8, { { 0x20000, 512, false } }); // the next entry would be at 0x10000
    bench.bm_setup(0xfff8, true);
    bench.bm_start(true);
    bench.lba28(0, 0, 2, k_cmd_read_dma);
    bench.complete_io();
    EXPECT_EQ(bench.bm_status(), bmdma::k_st_error | bmdma::k_st_interrupt);
    EXPECT_EQ(bench.inb(P + 7) & k_st_err, k_st_err);
}

TEST_F(AtaFixture, DmaTableWithoutEotThatCoversTheTransferIsFine)
{
    bench.write_prd(0x1000, { { 0x20000, 1024, false } });
    bench.bm_setup(0x1000, true);
    bench.bm_start(true);
    bench.lba28(0, 0, 2, k_cmd_read_dma);
    bench.complete_io();
    EXPECT_EQ(bench.bm_status(), bmdma::k_st_interrupt | bmdma::k_st_active);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
}

TEST_F(AtaFixture, DmaShortTableStopsWithoutInterruptUntilRestarted)
{
    auto data = pattern_bytes(1024, 90);
    disk->put(0, data);
    bench.write_prd(0x1000, { { 0x20000, 512, true } }); // half the transfer
    bench.bm_setup(0x1000, true);
    bench.bm_start(true);
    bench.lba28(0, 0, 2, k_cmd_read_dma);
    bench.complete_io();
    EXPECT_EQ(bench.bm_status(), 0); // Active 0, Interrupt 0: the table was too short
    EXPECT_FALSE(bench.irq14->level);
    EXPECT_EQ(bench.inb(CTL) & k_st_drq, k_st_drq); // the drive still asks for DMA
    // The driver stops the engine, fixes the table and starts again.
    bench.outb(IdeBench::k_bm_base, 0x08);
    bench.write_prd(0x1000, { { 0x20000, 1024, true } });
    bench.bm_start(true);
    bench.complete_io();
    EXPECT_EQ(bench.bm_status(), bmdma::k_st_interrupt);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    EXPECT_EQ(bench.ram(0x20000, 1024), data);
}

TEST_F(AtaFixture, DmaWaitsForBusMasterEnable)
{
    bench.ide->set_command(pci::k_command_io);
    bench.write_prd(0x1000, { { 0x20000, 512, true } });
    bench.bm_setup(0x1000, true);
    bench.bm_start(true);
    bench.lba28(0, 0, 1, k_cmd_read_dma);
    bench.complete_io();
    EXPECT_EQ(bench.inb(CTL) & k_st_drq, k_st_drq);
    bench.ide->set_command(pci::k_command_io | pci::k_command_bus_master);
    bench.bm_start(true); // any register access lets the waiting transfer run
    bench.complete_io();
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
}

TEST_F(AtaFixture, FlushCacheAndWriteThroughWithCacheOff)
{
    bench.outb(P + 6, 0xa0);
    bench.outb(P + 7, k_cmd_flush_cache);
    EXPECT_EQ(bench.inb(CTL), k_st_bsy);
    bench.complete_io();
    EXPECT_EQ(disk->flushes, 1);
    EXPECT_TRUE(bench.irq14->level);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);

    bench.outb(P + 7, k_cmd_flush_cache_ext);
    bench.complete_io();
    EXPECT_EQ(disk->flushes, 2);

    bench.outb(P + 1, k_feature_disable_write_cache);
    bench.outb(P + 7, k_cmd_set_features);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    EXPECT_FALSE(identify()[85] & (1 << 5));
    auto data = pattern_bytes(512, 4);
    bench.lba28(0, 3, 1, k_cmd_write_sectors);
    bench.outsw(P, data);
    bench.complete_io();
    EXPECT_EQ(disk->flushes, 3); // the write went through to the medium
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
}

TEST_F(AtaFixture, SetFeaturesTransferMode)
{
    bench.outb(P + 6, 0xa0);
    bench.outb(P + 1, k_feature_set_transfer_mode);
    bench.outb(P + 2, 0x45); // UDMA 5
    bench.outb(P + 7, k_cmd_set_features);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    auto id = identify();
    EXPECT_EQ(id[88] >> 8, 1 << 5);
    EXPECT_EQ(id[63] >> 8, 0);
    bench.outb(P + 1, k_feature_set_transfer_mode);
    bench.outb(P + 2, 0x46); // UDMA 6: not offered
    bench.outb(P + 7, k_cmd_set_features);
    EXPECT_EQ(bench.inb(P + 7) & k_st_err, k_st_err);
}

TEST_F(AtaFixture, OutOfRangeLbaIsIdnf)
{
    uint64_t sectors = k_disk_size / 512;
    bench.lba28(0, static_cast<uint32_t>(sectors - 1), 2, k_cmd_read_sectors);
    EXPECT_TRUE(bench.irq14->level);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_err);
    EXPECT_EQ(bench.inb(P + 1), k_err_idnf);
    EXPECT_TRUE(disk->submitted.empty());
    bench.lba48(0, sectors, 1, k_cmd_write_dma_ext);
    EXPECT_EQ(bench.inb(P + 1), k_err_idnf);
    bench.lba28(0, static_cast<uint32_t>(sectors), 1, k_cmd_read_verify);
    EXPECT_EQ(bench.inb(P + 1), k_err_idnf);
    bench.lba28(0, static_cast<uint32_t>(sectors - 1), 1, k_cmd_read_verify);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
}

TEST_F(AtaFixture, UnknownCommandAborts)
{
    bench.outb(P + 6, 0xa0);
    bench.outb(P + 7, 0x55);
    EXPECT_TRUE(bench.irq14->level);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_err);
    EXPECT_EQ(bench.inb(P + 1), k_err_abrt);
    bench.outb(P + 7, k_cmd_packet); // not a packet device
    EXPECT_EQ(bench.inb(P + 1), k_err_abrt);
}

TEST_F(AtaFixture, CommandWhileBusyIsIgnored)
{
    auto data = pattern_bytes(512, 8);
    disk->put(0, data);
    bench.lba28(0, 0, 1, k_cmd_read_sectors);
    bench.outb(P + 7, k_cmd_flush_cache); // BSY: dropped
    bench.complete_io();
    EXPECT_EQ(disk->flushes, 0);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_drq);
    EXPECT_EQ(bench.insw(P, 256), data);
}

TEST_F(AtaFixture, ReadErrorFromImageIsUnc)
{
    disk->fail_with = -EIO;
    bench.lba28(0, 9, 1, k_cmd_read_sectors);
    bench.complete_io();
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_err);
    EXPECT_EQ(bench.inb(P + 1), k_err_unc);
    EXPECT_EQ(bench.inb(P + 3), 9); // the failing sector
}

TEST(IdeAta, WritesToReadOnlyDiskAbort)
{
    auto disk = std::make_shared<SparseDisk>(1 << 20, true);
    IdeBench bench { { disk_spec(disk), IdeDriveSpec {}, IdeDriveSpec {}, IdeDriveSpec {} } };
    bench.lba28(0, 0, 1, k_cmd_write_sectors);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc | k_st_err);
    EXPECT_EQ(bench.inb(P + 1), k_err_abrt);
}

TEST_F(AtaFixture, NienMasksTheInterruptLine)
{
    bench.outb(CTL, k_ctl_nien);
    bench.outb(P + 6, 0xa0);
    bench.outb(P + 7, k_cmd_check_power_mode);
    EXPECT_FALSE(bench.irq14->level);
    EXPECT_EQ(bench.inb(P + 2), 0xff);
    EXPECT_EQ(bench.bm_status() & bmdma::k_st_interrupt, 0);
    bench.outb(CTL, 0); // the pending request shows once enabled
    EXPECT_TRUE(bench.irq14->level);
    EXPECT_EQ(bench.inb(CTL), k_st_drdy | k_st_dsc); // Alternate Status does not acknowledge
    EXPECT_TRUE(bench.irq14->level);
    bench.inb(P + 7);
    EXPECT_FALSE(bench.irq14->level);
    EXPECT_FALSE(bench.irq15->level);
}

TEST_F(AtaFixture, ChsAddressingUsesInitializeDeviceParameters)
{
    auto data = pattern_bytes(512, 61);
    // Geometry 4 heads x 17 sectors: C/H/S 2/3/5 = (2*4+3)*17+4 = 191.
    disk->put(191 * 512, data);
    bench.outb(P + 6, 0xa0 | 3);
    bench.outb(P + 2, 17);
    bench.outb(P + 7, k_cmd_initialize_parameters);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    bench.outb(P + 6, 0xa0 | 3);
    bench.outb(P + 2, 1);
    bench.outb(P + 3, 5);
    bench.outb(P + 4, 2);
    bench.outb(P + 5, 0);
    bench.outb(P + 7, k_cmd_read_sectors);
    bench.complete_io();
    EXPECT_EQ(bench.insw(P, 256), data);
    EXPECT_EQ(identify()[55], 4);
}

TEST_F(AtaFixture, PowerCommandsAndDiagnostic)
{
    for (uint8_t command : { k_cmd_idle_immediate, k_cmd_standby_immediate, k_cmd_idle, k_cmd_standby, k_cmd_seek }) {
        bench.outb(P + 6, 0xe0);
        bench.outb(P + 2, 1);
        bench.outb(P + 7, command);
        EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc) << int(command);
    }
    bench.outb(P + 3, 0x77);
    bench.outb(P + 7, k_cmd_execute_diagnostic);
    EXPECT_TRUE(bench.irq14->level);
    EXPECT_EQ(bench.inb(P + 1), k_diag_passed);
    EXPECT_EQ(bench.inb(P + 3), 1);
    EXPECT_EQ(bench.inb(P + 4), 0);
    EXPECT_EQ(bench.inb(P + 5), 0);
}

TEST_F(AtaFixture, AbsentSlaveReadsStatusZeroAndMasterRegisters)
{
    bench.outb(P + 3, 0x5a);
    bench.outb(P + 6, 0xb0); // select device 1: nothing there
    EXPECT_EQ(bench.inb(P + 7), 0x00);
    EXPECT_EQ(bench.inb(CTL), 0x00);
    EXPECT_EQ(bench.inb(P + 3), 0x5a); // device 0 answers for the other registers
    bench.outb(P + 7, k_cmd_identify); // ignored
    EXPECT_EQ(bench.inb(P + 7), 0x00);
    EXPECT_FALSE(bench.irq14->level);
    // The secondary channel has no devices at all.
    EXPECT_EQ(bench.inb(IdeBench::k_secondary + 7), 0x7f);
    EXPECT_EQ(bench.inb(0x376), 0x7f);
    bench.outb(IdeBench::k_secondary + 2, 0x55);
    EXPECT_EQ(bench.inb(IdeBench::k_secondary + 2), 0x7f);
}

TEST_F(AtaFixture, StringIoBatchStopsAtTheEndOfTheData)
{
    auto data = pattern_bytes(512, 12);
    disk->put(0, data);
    bench.lba28(0, 0, 1, k_cmd_read_sectors);
    bench.complete_io();
    auto got = bench.insw(P, 300); // more than one sector's worth
    EXPECT_TRUE(std::equal(data.begin(), data.end(), got.begin()));
    EXPECT_TRUE(std::all_of(got.begin() + 512, got.end(), [](uint8_t b) { return b == 0xff; }));
}

TEST_F(AtaFixture, PciFunctionIdentity)
{
    auto& ide = *bench.ide;
    EXPECT_EQ(ide.config_value(pci::k_vendor_id, 2), 0x8086);
    EXPECT_EQ(ide.config_value(pci::k_device_id, 2), 0x7010);
    EXPECT_EQ(ide.config_value(pci::k_revision_id, 1), 0);
    EXPECT_EQ(ide.config_value(pci::k_prog_if, 1), 0x80);
    EXPECT_EQ(ide.config_value(pci::k_subclass, 1), 0x01);
    EXPECT_EQ(ide.config_value(pci::k_class_code, 1), 0x01);
    EXPECT_EQ(ide.config_value(0x40, 2), 0x8000);
    EXPECT_EQ(ide.config_value(0x42, 2), 0x8000);
    auto bar = ide.bar_info(4);
    EXPECT_EQ(bar.kind, BarKind::Io);
    EXPECT_EQ(bar.size, 16u);
    EXPECT_EQ(ide.bar_mapping(4), IdeBench::k_bm_base);
    // IDETIM is writable; clearing decode enable turns the primary's ports off.
    std::array<uint8_t, 2> timing { 0x07, 0x03 };
    ide.config_write(0x40, timing);
    EXPECT_EQ(ide.config_value(0x40, 2), 0x0307);
    EXPECT_EQ(bench.inb(P + 7), 0xff);
    timing = { 0x07, 0xa3 };
    ide.config_write(0x40, timing);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
}

TEST_F(AtaFixture, BusMasterRegisters)
{
    uint16_t bm = IdeBench::k_bm_base;
    bench.outl(bm + 4, 0x12345677);
    std::array<uint8_t, 4> b {};
    bench.pio.read(bm + 4, b);
    EXPECT_EQ(b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24, 0x12345674); // dword aligned
    bench.outb(bm + 2, bmdma::k_st_drive0_dma);
    EXPECT_EQ(bench.bm_status(), bmdma::k_st_drive0_dma);
    EXPECT_EQ(bench.inb(bm + 8 + 2), 0); // the secondary's registers are apart
    bench.outb(bm, 0x08);
    EXPECT_EQ(bench.inb(bm), 0x08);
}

TEST_F(AtaFixture, SaveRestoreKeepsSettings)
{
    bench.outb(P + 6, 0xa0);
    bench.outb(P + 2, 8);
    bench.outb(P + 7, k_cmd_set_multiple);
    bench.outb(P + 1, k_feature_disable_write_cache);
    bench.outb(P + 7, k_cmd_set_features);
    auto state = bench.ide->save();

    auto other_disk = std::make_shared<SparseDisk>(k_disk_size);
    IdeBench other { { disk_spec(other_disk), IdeDriveSpec {}, IdeDriveSpec {}, IdeDriveSpec {} } };
    other.ide->restore(state);
    other.outb(P + 6, 0xa0);
    other.outb(P + 7, k_cmd_identify);
    auto id = other.insw(P, 256);
    EXPECT_EQ(id[118] | id[119] << 8, 0x0108);
    EXPECT_FALSE((id[170] | id[171] << 8) & (1 << 5));

    bench.ide->reset(); // power-on defaults again
    EXPECT_EQ(identify()[59], 0);
}

} // namespace
} // namespace vireo
