// The monitor's view of a machine's drives over a real PIIX3 IDE function: query-block's
// facts, host eject and medium change on the CD-ROM (the guest's lock honoured), and the tray
// events they cause.
#include <gtest/gtest.h>

#include <cerrno>

#include "block_test_util.h"
#include "devices/ide/ata_spec.h"
#include "ide_test_support.h"
#include "machine/assembly/drive_media.h"

namespace vireo {
namespace {

constexpr uint16_t S = test::IdeBench::k_secondary;

class DriveMediaControl : public testing::Test {
protected:
    DriveMediaControl()
    {
        DriveConfig disk;
        disk.file = "disk.img";
        disk.id = "drive0";
        m_drives.push_back(BlockDrive { "ide0-hd0", "/machine/unattached/device[1]", disk,
            ImageFacts { "raw", 1 << 20, 0, {} }, -1 });
        DriveConfig cdrom;
        cdrom.media = DriveMedia::Cdrom;
        cdrom.read_only = true;
        m_drives.push_back(BlockDrive { "ide1-cd0", "/machine/unattached/device[2]", cdrom, std::nullopt, 2 });
        test::write_file(m_dir.file("disc.iso"), std::vector<uint8_t>(8 * 2048, 0x11));
        EXPECT_TRUE(watch_trays(m_set, [this](const std::string& name, const std::string& qdev, bool open) {
            m_events.push_back(fmt::format("{} {} {}", name, qdev, open));
        }));
    }

    // PREVENT ALLOW MEDIUM REMOVAL from the guest.
    void guest_locks()
    {
        m_bench.outb(S + 6, 0xa0);
        m_bench.outb(S + 4, 0xfe);
        m_bench.outb(S + 5, 0xff);
        m_bench.outb(S + 7, ata::k_cmd_packet);
        std::array<uint8_t, 12> cdb { scsi::k_prevent_allow, 0, 0, 0, 1 };
        m_bench.outsw(S, cdb);
    }
    BlockDeviceInfo cdrom() { return block_device_info(m_set).at(1); }

    test::TempDir m_dir;
    test::IdeBench m_bench { { test::disk_spec(std::make_shared<test::SparseDisk>(2048)), IdeDriveSpec {},
        test::cdrom_spec(nullptr), IdeDriveSpec {} } };
    std::vector<BlockDrive> m_drives;
    DriveSet m_set { m_drives, m_bench.ide.get() };
    std::vector<std::string> m_events;
};

TEST_F(DriveMediaControl, InfoOfADiskAndAnEmptyCdrom)
{
    auto list = block_device_info(m_set);
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].device, "ide0-hd0");
    EXPECT_FALSE(list[0].removable);
    EXPECT_FALSE(list[0].tray_open.has_value());
    ASSERT_TRUE(list[0].medium);
    EXPECT_EQ(list[0].medium->file, "disk.img");
    EXPECT_EQ(list[0].medium->virtual_size, 1u << 20);
    EXPECT_TRUE(list[1].removable);
    EXPECT_EQ(list[1].tray_open, false);
    EXPECT_FALSE(list[1].medium);
}

TEST_F(DriveMediaControl, ChangeMediumInsertsAndClosesTheTray)
{
    auto outcome = change_medium(m_set, "ide1-cd0", MediumChange { m_dir.file("disc.iso"), "raw" },
        MediumForce::IfUnlocked);
    ASSERT_TRUE(outcome) << outcome.error().describe();
    EXPECT_EQ(*outcome, MediumOutcome::Done);
    EXPECT_EQ(m_events, (std::vector<std::string> { "ide1-cd0 /machine/unattached/device[2] true",
                            "ide1-cd0 /machine/unattached/device[2] false" }));
    auto info = cdrom();
    EXPECT_EQ(info.tray_open, false);
    ASSERT_TRUE(info.medium);
    EXPECT_EQ(info.medium->file, m_dir.file("disc.iso"));
    EXPECT_EQ(info.medium->format, "raw");
    EXPECT_TRUE(info.medium->read_only);
    EXPECT_EQ(info.medium->virtual_size, 8u * 2048);
}

TEST_F(DriveMediaControl, AnUnreadableImageChangesNothing)
{
    auto outcome = change_medium(m_set, "ide1-cd0", MediumChange { m_dir.file("none.iso"), "raw" },
        MediumForce::Always);
    ASSERT_FALSE(outcome);
    EXPECT_EQ(outcome.error().code, ENOENT);
    EXPECT_TRUE(m_events.empty());
    EXPECT_EQ(cdrom().tray_open, false);
}

TEST_F(DriveMediaControl, EjectHonoursTheGuestsLockUnlessForced)
{
    ASSERT_TRUE(change_medium(m_set, "ide1-cd0", MediumChange { m_dir.file("disc.iso") }, MediumForce::IfUnlocked));
    m_events.clear();
    guest_locks(); // reports the new disc (unit attention) first
    guest_locks();
    ASSERT_TRUE(cdrom().locked);

    auto refused = eject_medium(m_set, "ide1-cd0", MediumForce::IfUnlocked);
    ASSERT_TRUE(refused);
    EXPECT_EQ(*refused, MediumOutcome::Locked);
    EXPECT_TRUE(m_events.empty());
    EXPECT_TRUE(cdrom().medium);

    auto forced = eject_medium(m_set, "ide1-cd0", MediumForce::Always);
    ASSERT_TRUE(forced);
    EXPECT_EQ(*forced, MediumOutcome::Done);
    EXPECT_EQ(m_events, (std::vector<std::string> { "ide1-cd0 /machine/unattached/device[2] true" }));
    auto info = cdrom();
    EXPECT_EQ(info.tray_open, true);
    EXPECT_FALSE(info.locked);
    EXPECT_FALSE(info.medium);
    EXPECT_TRUE(m_drives[1].config.file.empty()); // what the next machine gets after a reset
}

TEST_F(DriveMediaControl, ADiskIsNotRemovable)
{
    EXPECT_EQ(eject_medium(m_set, "ide0-hd0", MediumForce::Always).value(), MediumOutcome::NotRemovable);
    EXPECT_EQ(change_medium(m_set, "ide0-hd0", MediumChange { m_dir.file("disc.iso") }, MediumForce::Always).value(),
        MediumOutcome::NotRemovable);
    EXPECT_FALSE(eject_medium(m_set, "ide9-cd0", MediumForce::Always));
}

} // namespace
} // namespace vireo
