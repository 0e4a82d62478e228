// The i440FX PAM (slots chosen per segment, writes to write-protected shadow RAM dropped), the
// PIIX3/PIIX4 configuration registers, the ACPI PM timer and firmware image checks.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "devices/chipset/i440fx.h"
#include "devices/chipset/pam.h"
#include "devices/chipset/piix3_isa.h"
#include "devices/chipset/piix4_pm.h"
#include "devices/firmware/firmware_image.h"
#include "devices/legacy/pm_timer.h"

namespace vireo {
namespace {

struct FakeSlot {
    uint64_t address;
    uint64_t size;
    uint8_t* host;
    SlotAccess access;
};

class FakeSlots final : public MemorySlots {
public:
    Result<SlotId> map_slot(uint64_t address, uint64_t size, uint8_t* host, SlotAccess access) override
    {
        for (const auto& [id, slot] : slots)
            EXPECT_FALSE(address < slot.address + slot.size && slot.address < address + size) << "overlap";
        slots[next] = FakeSlot { address, size, host, access };
        return SlotId { next++ };
    }
    void unmap_slot(SlotId slot) override { EXPECT_EQ(slots.erase(slot.value), 1u); }

    const FakeSlot* at(uint64_t address) const
    {
        for (const auto& [id, slot] : slots) {
            if (address >= slot.address && address < slot.address + slot.size)
                return &slot;
        }
        return nullptr;
    }

    std::map<uint32_t, FakeSlot> slots;
    uint32_t next = 0;
};

class PamTest : public ::testing::Test {
protected:
    PamTest()
        : ram(Pam::k_area_size, 0x11)
        , rom(128 * 1024, 0x22)
        , pam(slots, ram, rom)
    {
    }
    void set(std::array<uint8_t, Pam::k_register_count> values) { ASSERT_TRUE(pam.set_registers(values)); }

    FakeSlots slots;
    std::vector<uint8_t> ram;
    std::vector<uint8_t> rom;
    Pam pam;
};

TEST_F(PamTest, PowerOnShowsTheRomInTheTopSegmentsAndNothingBelow)
{
    set(Pam::reset_registers());
    auto* f_segment = slots.at(0xF'0000);
    ASSERT_NE(f_segment, nullptr);
    EXPECT_EQ(f_segment->access, SlotAccess::ReadOnly);
    EXPECT_EQ(f_segment->host, rom.data() + 64 * 1024); // the ROM's last 64 KiB
    auto* e_segment = slots.at(0xE'0000);
    ASSERT_NE(e_segment, nullptr);
    EXPECT_EQ(e_segment->host, rom.data());
    EXPECT_EQ(slots.at(0xC'0000), nullptr); // no ROM behind C and D: reads exit, all-ones
    std::array<uint8_t, 2> data {};
    pam.window()->read(0, data);
    EXPECT_EQ(data[0], 0xff);
}

TEST_F(PamTest, ShadowingAsSeabiosDoesWritesRamThenProtectsIt)
{
    set(Pam::reset_registers());
    // Read-write everywhere: every segment is writable DRAM.
    set(Pam::open_registers());
    for (size_t i = 0; i < Pam::k_segment_count; ++i) {
        auto seg = Pam::segment(i);
        auto* slot = slots.at(seg.start);
        ASSERT_NE(slot, nullptr) << i;
        EXPECT_EQ(slot->access, SlotAccess::ReadWrite);
        EXPECT_EQ(slot->host, ram.data() + (seg.start - Pam::k_area_start));
    }
    // Read-only: DRAM behind read-only slots, and a write that exits is dropped.
    std::array<uint8_t, Pam::k_register_count> read_only;
    read_only.fill(0x11);
    read_only[0] = 0x10;
    set(read_only);
    EXPECT_EQ(slots.at(0xF'0000)->access, SlotAccess::ReadOnly);
    EXPECT_EQ(slots.at(0xF'0000)->host, ram.data() + 0x3'0000);
    const uint8_t byte = 0x99;
    pam.window()->write(0x3'0000, std::span(&byte, 1));
    EXPECT_EQ(ram[0x3'0000], 0x11);
    EXPECT_EQ(slots.slots.size(), Pam::k_segment_count);
}

TEST_F(PamTest, WriteOnlyReadsRomAndWritesRam)
{
    std::array<uint8_t, Pam::k_register_count> write_only {};
    write_only[0] = 0x20;
    set(write_only);
    EXPECT_EQ(slots.at(0xF'0000)->host, rom.data() + 64 * 1024);
    const uint8_t byte = 0x77;
    pam.window()->write(0x3'0010, std::span(&byte, 1));
    EXPECT_EQ(ram[0x3'0010], 0x77);
    // The C segment is disabled: its writes go nowhere.
    pam.window()->write(0x10, std::span(&byte, 1));
    EXPECT_EQ(ram[0x10], 0x11);
}

TEST_F(PamTest, OutOfRangeWindowAccessesAreIgnored)
{
    set(Pam::open_registers());
    std::array<uint8_t, 8> data {};
    pam.window()->read(Pam::k_area_size - 4, data); // runs past the area: all-ones, no overrun
    EXPECT_EQ(data[0], 0xff);
    pam.window()->write(Pam::k_area_size + 100, data);
}

TEST(I440fx, PamWritesReachTheHook)
{
    std::array<uint8_t, 7> seen {};
    int calls = 0;
    I440fxHostBridge bridge({}, [&](std::span<const uint8_t, 7> values) {
        std::copy(values.begin(), values.end(), seen.begin());
        ++calls;
    });
    const uint8_t value = 0x33;
    bridge.config_write(0x5a, std::span(&value, 1));
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(seen[1], 0x33);
    const uint8_t pam0 = 0xff;
    bridge.config_write(0x59, std::span(&pam0, 1));
    EXPECT_EQ(seen[0], 0x30); // reserved bits 3:0 and 7:6 read as 0
    EXPECT_EQ(bridge.config_value(0, 4), 0x1237'8086u);
}

TEST(Piix, IdentityAndRegistersFirmwareReads)
{
    Piix3Isa isa;
    EXPECT_EQ(isa.config_value(0, 4), 0x7000'8086u);
    EXPECT_EQ(isa.config_value(0x0e, 1), 0x80u); // multi-function
    EXPECT_EQ(isa.pirq_routes()[0], std::nullopt);
    const uint8_t route = 0x0b;
    isa.config_write(0x61, std::span(&route, 1));
    EXPECT_EQ(isa.pirq_routes()[1], std::optional<uint8_t>(11));

    Piix4Pm pm(0x600, 9);
    EXPECT_EQ(pm.config_value(0, 4), 0x7113'8086u);
    EXPECT_EQ(pm.config_value(0x40, 4), 0x601u);
    EXPECT_EQ(pm.config_value(0x5b, 1) & 2, 2u); // no SMM
    EXPECT_EQ(pm.config_value(0x3c, 1), 9u);
    EXPECT_FALSE(pm.uses_pci_intx());
}

TEST(PmTimer, CountsAt3579545HzIn24Bits)
{
    std::chrono::nanoseconds now { 1'000'000 };
    PmTimer timer([&] { return now; });
    EXPECT_EQ(timer.value(), 0u);
    now += std::chrono::seconds(1);
    EXPECT_EQ(timer.value(), 3'579'545u & 0xff'ffffu);
    std::array<uint8_t, 4> bytes {};
    timer.read(0, bytes);
    EXPECT_EQ(bytes[0] | bytes[1] << 8 | bytes[2] << 16, static_cast<int>(3'579'545u & 0xff'ffffu));
    EXPECT_EQ(bytes[3], 0);
}

TEST(FirmwareImage, SizesThatCannotBeFirmwareAreRefused)
{
    std::vector<uint8_t> empty;
    EXPECT_FALSE(FirmwareImage::from_bytes(empty, "e.bin"));
    std::vector<uint8_t> odd(1000);
    auto error = FirmwareImage::from_bytes(odd, "odd.bin");
    ASSERT_FALSE(error);
    EXPECT_NE(error.error().describe().find("not a multiple of 64 KiB"), std::string::npos);
    std::vector<uint8_t> huge(17 << 20);
    EXPECT_FALSE(FirmwareImage::from_bytes(huge, "huge.bin"));
    std::vector<uint8_t> bios(256 * 1024);
    bios.back() = 0xea;
    auto image = FirmwareImage::from_bytes(bios, "bios.bin");
    ASSERT_TRUE(image);
    EXPECT_EQ(image->guest_address(), 0xFFFC'0000u);
    EXPECT_EQ(image->legacy_tail().size(), 128u * 1024);
    EXPECT_EQ(image->legacy_tail().back(), 0xea);
}

} // namespace
} // namespace vireo
