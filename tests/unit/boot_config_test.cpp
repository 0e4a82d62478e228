#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "machine/boot/le_bytes.h"
#include "machine/firmware/boot_config.h"

using namespace vireo;
using namespace vireo::boot_config;

namespace {

std::string text(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }

} // namespace

TEST(BootConfig, OpenFirmwarePathsAsQemuWritesThem)
{
    EXPECT_EQ(of_path_ide(0, 0), "/pci@i0cf8/ide@1,1/drive@0/disk@0");
    EXPECT_EQ(of_path_ide(1, 0), "/pci@i0cf8/ide@1,1/drive@1/disk@0");
    EXPECT_EQ(of_path_pci_disk(5), "/pci@i0cf8/scsi@5/disk@0,0");
    EXPECT_EQ(of_path_pci_disk(0x1a, 2), "/pci@i0cf8/scsi@1a,2/disk@0,0");
    EXPECT_EQ(of_path_pci_nic(3), "/pci@i0cf8/ethernet@3/ethernet-phy@0");
}

TEST(BootConfig, BootorderListsIndexedDevicesLowestFirst)
{
    std::vector<BootDevice> devices {
        { of_path_ide(0, 0), 2 },
        { of_path_pci_nic(3), -1 },
        { of_path_pci_disk(5), 0 },
    };

    auto file = build_bootorder(devices, StrictBoot::Off).value();

    EXPECT_EQ(text(file), std::string("/pci@i0cf8/scsi@5/disk@0,0\n/pci@i0cf8/ide@1,1/drive@0/disk@0") + '\0');
}

TEST(BootConfig, StrictBootEndsWithHaltAndNoDevicesGiveAnEmptyFile)
{
    std::vector<BootDevice> devices { { of_path_ide(1, 0), 1 } };

    auto strict = build_bootorder(devices, StrictBoot::On).value();
    auto empty = build_bootorder({}, StrictBoot::On).value();

    EXPECT_EQ(text(strict), std::string("/pci@i0cf8/ide@1,1/drive@1/disk@0\nHALT") + '\0');
    EXPECT_TRUE(empty.empty());
}

TEST(BootConfig, DuplicateBootindexIsAnError)
{
    std::vector<BootDevice> devices { { of_path_ide(0, 0), 1 }, { of_path_pci_disk(4), 1 } };

    EXPECT_FALSE(build_bootorder(devices, StrictBoot::Off));
}

TEST(BootConfig, CmosBootOrderNibbles)
{
    auto cad = cmos_boot_flags(k_default_boot_order).value();
    auto dn = cmos_boot_flags("dn", FloppyCheck::Off).value();

    EXPECT_EQ(cad.reg_3d, 0x12); // c=2 first, a=1 second
    EXPECT_EQ(cad.reg_38, 0x30); // d=3 third, floppy check on
    EXPECT_EQ(dn.reg_3d, 0x43);
    EXPECT_EQ(dn.reg_38, 0x01);
    EXPECT_FALSE(cmos_boot_flags("cdna"));
    EXPECT_FALSE(cmos_boot_flags("cx"));
    EXPECT_FALSE(cmos_boot_flags("cc"));
}

TEST(BootConfig, BootFailWaitDefaultsToNeverAndClamps)
{
    EXPECT_EQ(load_le<uint32_t>(boot_fail_wait(-1), 0), 0xffffffffu);
    EXPECT_EQ(load_le<uint32_t>(boot_fail_wait(5000), 0), 5000u);
    EXPECT_EQ(load_le<uint32_t>(boot_fail_wait(100000), 0), 0xffffu);
}

TEST(BootConfig, E820HasTheRamRegionsOnly)
{
    std::vector<GuestRegionSpec> ram { { 0, 3ULL << 30 }, { 1ULL << 32, 1ULL << 30 } };

    auto entries = firmware_e820(ram);
    auto file = e820_file(entries);

    ASSERT_EQ(file.size(), 40u);
    EXPECT_EQ(load_le<uint64_t>(file, 0), 0u);
    EXPECT_EQ(load_le<uint64_t>(file, 8), 3ULL << 30);
    EXPECT_EQ(load_le<uint32_t>(file, 16), 1u);
    EXPECT_EQ(load_le<uint64_t>(file, 20), 1ULL << 32);
    EXPECT_EQ(load_le<uint64_t>(file, 28), 1ULL << 30);
    EXPECT_EQ(load_le<uint32_t>(file, 36), 1u);
}
