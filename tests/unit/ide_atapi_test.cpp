// The ATAPI CD-ROM behind the PIIX3 IDE controller: the packet protocol, its SCSI/MMC
// commands, media changes, and resets shared with an ATA disk.
#include <gtest/gtest.h>

#include "devices/ide/ata_spec.h"
#include "ide_test_support.h"

namespace vireo {
namespace {

using namespace test;
using namespace ata;

constexpr uint16_t S = IdeBench::k_secondary;
constexpr uint16_t SCTL = 0x376;
constexpr uint16_t SBM = IdeBench::k_bm_base + 8;
constexpr uint64_t k_sectors = 40;

using Cdb = std::array<uint8_t, 12>;

struct Reply {
    std::vector<uint8_t> data;
    uint8_t status = 0;
    uint8_t error = 0;
    uint8_t reason = 0;
    std::vector<uint16_t> pieces; // byte count of each DRQ block
};

struct CdFixture : ::testing::Test {
    std::shared_ptr<SparseDisk> disc = make_disc(k_sectors * 2048, 40);
    IdeBench bench { { IdeDriveSpec {}, IdeDriveSpec {}, cdrom_spec(disc), IdeDriveSpec {} } };
    std::vector<bool> tray_moves;

    static std::shared_ptr<SparseDisk> make_disc(uint64_t size, uint8_t seed)
    {
        auto image = std::make_shared<SparseDisk>(size, true);
        if (size <= (1 << 20))
            image->put(0, pattern_bytes(size, seed));
        return image;
    }

    void SetUp() override
    {
        ASSERT_TRUE(bench.ide->set_tray_callback(2, [this](bool open) { tray_moves.push_back(open); }));
    }

    Reply packet(Cdb cdb, uint16_t limit = 0xfffe, bool dma = false)
    {
        bench.outb(S + 6, 0xa0);
        bench.outb(S + 1, dma ? k_packet_dma : 0);
        bench.outb(S + 4, static_cast<uint8_t>(limit));
        bench.outb(S + 5, static_cast<uint8_t>(limit >> 8));
        bench.outb(S + 7, k_cmd_packet);
        EXPECT_EQ(bench.inb(SCTL), k_st_drdy | k_st_dsc | k_st_drq);
        EXPECT_EQ(bench.inb(S + 2), k_ireason_cod);
        EXPECT_FALSE(bench.irq15->level); // no interrupt for the packet's DRQ
        bench.outsw(S, cdb);
        Reply reply;
        for (int guard = 0; guard < 10000; ++guard) {
            bench.complete_io();
            uint8_t status = bench.inb(S + 7);
            if (!(status & k_st_drq) || dma)
                break;
            EXPECT_EQ(bench.inb(S + 2), k_ireason_io);
            uint16_t count = static_cast<uint16_t>(bench.inb(S + 4) | bench.inb(S + 5) << 8);
            reply.pieces.push_back(count);
            auto piece = bench.insw(S, (count + 1u) / 2);
            piece.resize(count);
            reply.data.insert(reply.data.end(), piece.begin(), piece.end());
        }
        reply.status = bench.inb(SCTL);
        reply.error = bench.inb(S + 1);
        reply.reason = bench.inb(S + 2);
        return reply;
    }

    struct Sense {
        uint8_t key, asc, ascq;
    };
    Sense request_sense()
    {
        auto reply = packet({ scsi::k_request_sense, 0, 0, 0, 18 });
        EXPECT_EQ(reply.data.size(), 18u);
        if (reply.data.size() < 14)
            return {};
        return Sense { static_cast<uint8_t>(reply.data[2] & 0x0f), reply.data[12], reply.data[13] };
    }

    void expect_good(const Reply& reply)
    {
        EXPECT_EQ(reply.status, k_st_drdy | k_st_dsc);
        EXPECT_EQ(reply.reason, k_ireason_io | k_ireason_cod);
    }
    void expect_check(const Reply& reply, uint8_t key, uint8_t asc, uint8_t ascq)
    {
        EXPECT_EQ(reply.status, k_st_drdy | k_st_dsc | k_st_err);
        EXPECT_EQ(reply.error >> 4, key);
        auto sense = request_sense();
        EXPECT_EQ(sense.key, key);
        EXPECT_EQ(sense.asc, asc);
        EXPECT_EQ(sense.ascq, ascq);
    }
    static Cdb read10(uint32_t lba, uint16_t count)
    {
        return { scsi::k_read_10, 0, static_cast<uint8_t>(lba >> 24), static_cast<uint8_t>(lba >> 16),
            static_cast<uint8_t>(lba >> 8), static_cast<uint8_t>(lba), 0, static_cast<uint8_t>(count >> 8),
            static_cast<uint8_t>(count) };
    }
};

TEST_F(CdFixture, IdentifyDeviceAbortsWithTheSignatureAndIdentifyPacketAnswers)
{
    EXPECT_EQ(bench.inb(S + 7), 0x00); // a packet device after reset: DRDY clear
    bench.outb(S + 6, 0xa0);
    bench.outb(S + 7, k_cmd_identify);
    EXPECT_EQ(bench.inb(S + 7) & k_st_err, k_st_err);
    EXPECT_EQ(bench.inb(S + 1), k_err_abrt);
    EXPECT_EQ(bench.inb(S + 4), k_sig_atapi_mid);
    EXPECT_EQ(bench.inb(S + 5), k_sig_atapi_high);

    bench.outb(S + 7, k_cmd_identify_packet);
    EXPECT_TRUE(bench.irq15->level);
    EXPECT_EQ(bench.inb(S + 7), k_st_drdy | k_st_dsc | k_st_drq);
    auto bytes = bench.insw(S, 256);
    uint16_t word0 = static_cast<uint16_t>(bytes[0] | bytes[1] << 8);
    EXPECT_EQ(word0, 0x85c0);
    EXPECT_EQ(std::string(bytes.begin() + 54, bytes.begin() + 68), "IVER OVD-DOR M"); // "VIREO DVD-ROM", high byte first
    EXPECT_EQ(bytes[49 * 2 + 1] & 0x03, 0x03); // LBA, DMA
    EXPECT_EQ(bench.inb(S + 7), k_st_drdy | k_st_dsc);
}

TEST_F(CdFixture, Read10ByPio)
{
    auto reply = packet(read10(2, 3));
    expect_good(reply);
    EXPECT_EQ(bench.irq15->raised, 2); // the data block and the status
    EXPECT_EQ(reply.data, disc->get(2 * 2048, 3 * 2048));
    ASSERT_EQ(reply.pieces.size(), 1u);
    EXPECT_EQ(reply.pieces[0], 3 * 2048);
}

TEST_F(CdFixture, Read12InPiecesOfTheByteCountLimit)
{
    Cdb cdb { scsi::k_read_12, 0, 0, 0, 0, 1, 0, 0, 0, 2 };
    auto reply = packet(cdb, 1000);
    expect_good(reply);
    EXPECT_EQ(reply.data, disc->get(2048, 4096));
    ASSERT_EQ(reply.pieces.size(), 5u);
    EXPECT_EQ(reply.pieces[0], 1000);
    EXPECT_EQ(reply.pieces[4], 96);
}

// Found by fuzz_ide: a byte count limit of 1 became an empty DRQ block, and reading the data
// register spun for ever.
TEST_F(CdFixture, ByteCountLimitOfOneDoesNotHang)
{
    auto reply = packet({ scsi::k_inquiry, 0, 0, 0, 36 }, 1);
    expect_good(reply);
    EXPECT_EQ(reply.data.size(), 36u);
    ASSERT_EQ(reply.pieces.size(), 1u); // taken as the largest limit
}

TEST_F(CdFixture, ReadPastTheDiscIsIllegalRequest)
{
    auto reply = packet(read10(k_sectors - 1, 2));
    EXPECT_EQ(reply.error & k_err_abrt, k_err_abrt);
    expect_check(reply, scsi::k_illegal_request, 0x21, 0x00);
    // The sense was reported: the next REQUEST SENSE has none.
    EXPECT_EQ(request_sense().key, scsi::k_no_sense);
}

TEST_F(CdFixture, ReadLargerThanAChunk)
{
    auto reply = packet(read10(0, 40)); // 80 KiB: two image requests
    expect_good(reply);
    EXPECT_EQ(reply.data, disc->get(0, 40 * 2048));
}

TEST_F(CdFixture, Read10ByDma)
{
    bench.write_prd(0x1000, { { 0x20000, 4096, true } });
    bench.bm_setup(0x1000, true, SBM);
    auto reply = packet(read10(5, 2), 0xfffe, true);
    EXPECT_EQ(reply.status, k_st_drdy | k_st_dsc | k_st_drq); // waiting for the bus master
    bench.bm_start(true, SBM);
    EXPECT_TRUE(bench.irq15->level);
    EXPECT_EQ(bench.bm_status(SBM), bmdma::k_st_interrupt);
    EXPECT_EQ(bench.inb(S + 7), k_st_drdy | k_st_dsc);
    EXPECT_EQ(bench.inb(S + 2), k_ireason_io | k_ireason_cod);
    EXPECT_EQ(bench.ram(0x20000, 4096), disc->get(5 * 2048, 4096));
}

TEST_F(CdFixture, ReadCapacityAndToc)
{
    auto capacity = packet({ scsi::k_read_capacity });
    expect_good(capacity);
    EXPECT_EQ(capacity.data, (std::vector<uint8_t> { 0, 0, 0, k_sectors - 1, 0, 0, 0x08, 0 }));

    auto toc = packet({ scsi::k_read_toc, 0, 0, 0, 0, 0, 0, 0, 100 });
    expect_good(toc);
    EXPECT_EQ(toc.data, (std::vector<uint8_t> { 0, 18, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0, 0, 0x14, 0xaa, 0, 0, 0, 0, k_sectors }));

    auto msf = packet({ scsi::k_read_toc, 0x02, 0, 0, 0, 0, 0, 0, 100 });
    expect_good(msf);
    // Lead-out at LBA 40 = 00:02:40 (150-frame pre-gap); track 1 at 00:02:00.
    EXPECT_EQ(msf.data, (std::vector<uint8_t> { 0, 18, 1, 1, 0, 0x14, 1, 0, 0, 0, 2, 0, 0, 0x14, 0xaa, 0, 0, 0, 2, 40 }));

    auto session = packet({ scsi::k_read_toc, 0, 1, 0, 0, 0, 0, 0, 100 });
    expect_good(session);
    EXPECT_EQ(session.data, (std::vector<uint8_t> { 0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0 }));

    auto raw = packet({ scsi::k_read_toc, 0x02, 2, 0, 0, 0, 0, 0, 100 });
    expect_good(raw);
    ASSERT_EQ(raw.data.size(), 4u + 4 * 11);
    EXPECT_EQ(raw.data[4 + 3], 0xa0);
    EXPECT_EQ(raw.data[4 + 2 * 11 + 3], 0xa2);
    EXPECT_EQ(raw.data[4 + 2 * 11 + 9], 2);  // lead-out PSEC
    EXPECT_EQ(raw.data[4 + 2 * 11 + 10], 40); // lead-out PFRAME

    auto truncated = packet({ scsi::k_read_toc, 0, 0, 0, 0, 0, 0, 0, 4 });
    EXPECT_EQ(truncated.data.size(), 4u);
    expect_check(packet({ scsi::k_read_toc, 0, 0, 0, 0, 0, 5 }), scsi::k_illegal_request, 0x24, 0);
}

TEST_F(CdFixture, InquiryModeSenseConfiguration)
{
    auto inquiry = packet({ scsi::k_inquiry, 0, 0, 0, 36 });
    expect_good(inquiry);
    ASSERT_EQ(inquiry.data.size(), 36u);
    EXPECT_EQ(inquiry.data[0], 0x05);
    EXPECT_EQ(inquiry.data[1], 0x80);
    EXPECT_EQ(std::string(inquiry.data.begin() + 8, inquiry.data.begin() + 16), "VIREO   ");

    auto mode = packet({ scsi::k_mode_sense_10, 0, 0x2a, 0, 0, 0, 0, 0, 255 });
    expect_good(mode);
    ASSERT_GE(mode.data.size(), 8u + 22);
    EXPECT_EQ(mode.data[1] + 2u, mode.data.size());
    EXPECT_EQ(mode.data[8], 0x2a);
    EXPECT_EQ(mode.data[9], 0x14);
    auto all = packet({ scsi::k_mode_sense_6, 0, 0x3f, 0, 255 });
    expect_good(all);
    EXPECT_EQ(all.data[0] + 1u, all.data.size());
    EXPECT_EQ(all.data[4], 0x01);
    expect_check(packet({ scsi::k_mode_sense_10, 0, 0x05, 0, 0, 0, 0, 0, 255 }), scsi::k_illegal_request, 0x24, 0);

    auto config = packet({ scsi::k_get_configuration, 0, 0, 0, 0, 0, 0, 0, 255 });
    expect_good(config);
    EXPECT_EQ(config.data[6] << 8 | config.data[7], 0x0008); // CD-ROM: a small disc
    EXPECT_EQ(config.data[8] << 8 | config.data[9], 0x0000); // the profile list first

    auto dvd = std::make_shared<SparseDisk>(uint64_t { 4 } << 30, true);
    bench.images.push_back(dvd);
    ASSERT_TRUE(bench.ide->change_medium(2, dvd, false));
    packet({ scsi::k_test_unit_ready }); // consumes the unit attention
    auto dvd_config = packet({ scsi::k_get_configuration, 0x02, 0, 0x01, 0, 0, 0, 0, 255 });
    expect_good(dvd_config);
    EXPECT_EQ(dvd_config.data[6] << 8 | dvd_config.data[7], 0x0010);
    ASSERT_EQ(dvd_config.data.size(), 8u + 12); // just the Core feature (RT 2)
    EXPECT_EQ(dvd_config.data[9], 0x01);
}

TEST_F(CdFixture, UnknownOpcodeAndOtherCommands)
{
    expect_check(packet({ 0xff }), scsi::k_illegal_request, 0x20, 0);
    expect_good(packet({ scsi::k_set_cd_speed }));
    expect_good(packet({ scsi::k_test_unit_ready }));
    auto disc_info = packet({ scsi::k_read_disc_information, 0, 0, 0, 0, 0, 0, 0, 255 });
    expect_good(disc_info);
    EXPECT_EQ(disc_info.data.size(), 34u);
    auto mechanism = packet({ scsi::k_mechanism_status, 0, 0, 0, 0, 0, 0, 0, 0, 255 });
    expect_good(mechanism);
    EXPECT_EQ(mechanism.data.size(), 8u);
    expect_check(packet({ scsi::k_get_event_status, 0, 0, 0, 0x10, 0, 0, 0, 8 }), scsi::k_illegal_request, 0x24, 0);
}

TEST_F(CdFixture, GuestEjectRespectsTheLock)
{
    expect_good(packet({ scsi::k_prevent_allow, 0, 0, 0, 1 }));
    expect_check(packet({ scsi::k_start_stop_unit, 0, 0, 0, 0x02 }), scsi::k_illegal_request, 0x53, 0x02);
    EXPECT_TRUE(tray_moves.empty());
    expect_good(packet({ scsi::k_prevent_allow, 0, 0, 0, 0 }));
    expect_good(packet({ scsi::k_start_stop_unit, 0, 0, 0, 0x02 }));
    EXPECT_EQ(tray_moves, std::vector<bool> { true });
    expect_check(packet({ scsi::k_test_unit_ready }), scsi::k_not_ready, 0x3a, 0);
    auto mechanism = packet({ scsi::k_mechanism_status, 0, 0, 0, 0, 0, 0, 0, 0, 8 });
    EXPECT_EQ(mechanism.data[1] & 0x10, 0x10);
    // Closing the tray: the disc may be another one.
    expect_good(packet({ scsi::k_start_stop_unit, 0, 0, 0, 0x03 }));
    EXPECT_EQ(tray_moves, (std::vector<bool> { true, false }));
    expect_check(packet({ scsi::k_test_unit_ready }), scsi::k_unit_attention, 0x28, 0);
    expect_good(packet({ scsi::k_test_unit_ready }));
}

TEST_F(CdFixture, HostEjectAndChangeMedium)
{
    expect_good(packet({ scsi::k_prevent_allow, 0, 0, 0, 1 }));
    EXPECT_FALSE(bench.ide->eject(2, false));
    auto event = packet({ scsi::k_get_event_status, 1, 0, 0, 0x10, 0, 0, 0, 8 });
    expect_good(event);
    ASSERT_EQ(event.data.size(), 8u);
    EXPECT_EQ(event.data[2], 0x04);
    EXPECT_EQ(event.data[4], 1); // eject request
    EXPECT_EQ(event.data[5], 0x02); // medium present, tray closed

    ASSERT_TRUE(bench.ide->eject(2, true));
    EXPECT_EQ(tray_moves, std::vector<bool> { true });
    expect_check(packet({ scsi::k_test_unit_ready }), scsi::k_not_ready, 0x3a, 0);
    expect_check(packet(read10(0, 1)), scsi::k_not_ready, 0x3a, 0);
    expect_check(packet({ scsi::k_read_capacity }), scsi::k_not_ready, 0x3a, 0);

    auto other = make_disc(8 * 2048, 99);
    bench.images.push_back(other);
    ASSERT_TRUE(bench.ide->change_medium(2, other, false));
    EXPECT_EQ(tray_moves, (std::vector<bool> { true, false }));
    auto inquiry = packet({ scsi::k_inquiry, 0, 0, 0, 36 }); // runs through a unit attention
    expect_good(inquiry);
    auto media = packet({ scsi::k_get_event_status, 1, 0, 0, 0x10, 0, 0, 0, 8 });
    EXPECT_EQ(media.data[4], 2); // new media
    EXPECT_EQ(packet({ scsi::k_get_event_status, 1, 0, 0, 0x10, 0, 0, 0, 8 }).data[4], 0);
    expect_check(packet({ scsi::k_test_unit_ready }), scsi::k_unit_attention, 0x28, 0);
    expect_good(packet({ scsi::k_test_unit_ready }));
    auto reply = packet(read10(7, 1));
    expect_good(reply);
    EXPECT_EQ(reply.data, other->get(7 * 2048, 2048));
}

TEST_F(CdFixture, HostEjectDuringAReadEndsIt)
{
    bench.outb(S + 6, 0xa0);
    bench.outb(S + 1, 0);
    bench.outb(S + 4, 0xfe);
    bench.outb(S + 5, 0xff);
    bench.outb(S + 7, k_cmd_packet);
    auto cdb = read10(0, 4);
    bench.outsw(S, cdb);
    EXPECT_EQ(bench.inb(SCTL), k_st_bsy);
    ASSERT_TRUE(bench.ide->eject(2, false));
    EXPECT_EQ(bench.inb(S + 7), k_st_drdy | k_st_dsc | k_st_err);
    bench.complete_io(); // the old disc's completion is ignored
    EXPECT_EQ(bench.inb(S + 7), k_st_drdy | k_st_dsc | k_st_err);
}

TEST(IdeAtapi, EmptyDriveReportsNoMedium)
{
    IdeBench bench { { IdeDriveSpec {}, IdeDriveSpec {}, cdrom_spec(nullptr), IdeDriveSpec {} } };
    bench.outb(S + 6, 0xa0);
    bench.outb(S + 4, 0xfe);
    bench.outb(S + 5, 0xff);
    bench.outb(S + 7, k_cmd_packet);
    Cdb cdb { scsi::k_test_unit_ready };
    bench.outsw(S, cdb);
    EXPECT_EQ(bench.inb(S + 7), k_st_drdy | k_st_dsc | k_st_err);
    EXPECT_EQ(bench.inb(S + 1) >> 4, scsi::k_not_ready);
}

TEST(IdeReset, SoftwareResetSignaturesOfDiskAndCdrom)
{
    auto disk = std::make_shared<SparseDisk>(1 << 20);
    IdeBench bench { { disk_spec(disk), cdrom_spec(nullptr), IdeDriveSpec {}, IdeDriveSpec {} } };
    constexpr uint16_t P = IdeBench::k_primary;
    bench.outb(P + 3, 0x42);
    bench.outb(P + 6, 0xb0);
    bench.outb(IdeBench::k_primary_control, k_ctl_srst);
    EXPECT_EQ(bench.inb(IdeBench::k_primary_control), k_st_bsy);
    bench.outb(IdeBench::k_primary_control, 0);
    EXPECT_FALSE(bench.irq14->level);
    // Device 0 is selected after a reset.
    EXPECT_EQ(bench.inb(P + 6) & k_dev_dev1, 0);
    EXPECT_EQ(bench.inb(P + 7), k_st_drdy | k_st_dsc);
    EXPECT_EQ(bench.inb(P + 1), k_diag_passed);
    EXPECT_EQ(bench.inb(P + 2), 1);
    EXPECT_EQ(bench.inb(P + 3), 1);
    EXPECT_EQ(bench.inb(P + 4), 0x00);
    EXPECT_EQ(bench.inb(P + 5), 0x00);
    bench.outb(P + 6, 0xb0);
    EXPECT_EQ(bench.inb(P + 7), 0x00);
    EXPECT_EQ(bench.inb(P + 2), 1);
    EXPECT_EQ(bench.inb(P + 3), 1);
    EXPECT_EQ(bench.inb(P + 4), k_sig_atapi_mid);
    EXPECT_EQ(bench.inb(P + 5), k_sig_atapi_high);
    // DEVICE RESET for the packet device: its signature again, no interrupt.
    bench.outb(P + 4, 0);
    bench.outb(P + 7, k_cmd_device_reset);
    EXPECT_EQ(bench.inb(P + 4), k_sig_atapi_mid);
    EXPECT_FALSE(bench.irq14->level);
}

TEST(IdeAtapi, SaveRestore)
{
    IdeBench bench { { IdeDriveSpec {}, IdeDriveSpec {}, cdrom_spec(nullptr), IdeDriveSpec {} } };
    bench.outb(S + 6, 0xa0);
    bench.outb(S + 4, 0xfe);
    bench.outb(S + 5, 0xff);
    bench.outb(S + 7, k_cmd_packet);
    Cdb cdb { scsi::k_prevent_allow, 0, 0, 0, 1 };
    bench.outsw(S, cdb);
    auto state = bench.ide->save();
    const auto* cd = std::get_if<AtapiCdrom::State>(&state.channels[1].drives[0]);
    ASSERT_NE(cd, nullptr);
    EXPECT_TRUE(cd->locked);
    IdeBench other { { IdeDriveSpec {}, IdeDriveSpec {}, cdrom_spec(nullptr), IdeDriveSpec {} } };
    other.ide->restore(state);
    EXPECT_FALSE(other.ide->eject(2, false)); // still locked
}

} // namespace
} // namespace vireo
