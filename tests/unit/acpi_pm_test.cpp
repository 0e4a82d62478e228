#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "devices/legacy/acpi_pm.h"
#include "machine/pc_layout.h"

using namespace vireo;

namespace {

class FakeLine final : public InterruptLine {
public:
    void set_level(bool high) override { levels.push_back(high); }
    bool high() const { return !levels.empty() && levels.back(); }
    std::vector<bool> levels;
};

struct Pm {
    FakeLine sci;
    int shutdowns = 0;
    std::shared_ptr<AcpiPm> pm = std::make_shared<AcpiPm>(sci, [this] { ++shutdowns; });
    std::shared_ptr<BusDevice> events = pm->event_block();
    std::shared_ptr<BusDevice> control = pm->control_block();

    static uint16_t in16(BusDevice& device, uint64_t offset)
    {
        std::array<uint8_t, 2> bytes {};
        device.read(offset, bytes);
        return static_cast<uint16_t>(bytes[0] | bytes[1] << 8);
    }
    static void out16(BusDevice& device, uint64_t offset, uint16_t value)
    {
        std::array<uint8_t, 2> bytes { static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8) };
        device.write(offset, bytes);
    }
};

uint16_t sleep_value(unsigned type) { return static_cast<uint16_t>((type << 10) | (1 << 13)); }

} // namespace

TEST(AcpiPm, S5CallsShutdown)
{
    Pm p;
    Pm::out16(*p.control, 0, sleep_value(pc::k_s5_sleep_type));
    EXPECT_EQ(p.shutdowns, 1);
}

TEST(AcpiPm, OtherSleepTypesAreIgnored)
{
    Pm p;
    Pm::out16(*p.control, 0, sleep_value(1));
    Pm::out16(*p.control, 0, sleep_value(3));
    Pm::out16(*p.control, 0, static_cast<uint16_t>(pc::k_s5_sleep_type << 10)); // S5 type without SLP_EN
    EXPECT_EQ(p.shutdowns, 0);
}

TEST(AcpiPm, S5ByByteWritesToo)
{
    Pm p;
    uint16_t value = sleep_value(pc::k_s5_sleep_type);
    uint8_t low = static_cast<uint8_t>(value), high = static_cast<uint8_t>(value >> 8);
    p.control->write(0, std::span<const uint8_t>(&low, 1));
    EXPECT_EQ(p.shutdowns, 0);
    p.control->write(1, std::span<const uint8_t>(&high, 1));
    EXPECT_EQ(p.shutdowns, 1);
}

TEST(AcpiPm, ControlReadsSciEnabledAndNeverSlpEn)
{
    Pm p;
    EXPECT_EQ(Pm::in16(*p.control, 0), 0x0001);
    Pm::out16(*p.control, 0, sleep_value(1));
    EXPECT_EQ(Pm::in16(*p.control, 0), (1 << 10) | 1);
}

TEST(AcpiPm, StatusIsWriteOneToClearAndDrivesSci)
{
    Pm p;
    Pm::out16(*p.events, 2, 0x0100); // PWRBTN_EN
    EXPECT_EQ(Pm::in16(*p.events, 2), 0x0100);
    p.pm->press_power_button();
    EXPECT_EQ(Pm::in16(*p.events, 0), 0x0100);
    EXPECT_TRUE(p.sci.high());
    Pm::out16(*p.events, 0, 0x0000); // writing 0 changes nothing
    EXPECT_EQ(Pm::in16(*p.events, 0), 0x0100);
    Pm::out16(*p.events, 0, 0x0100);
    EXPECT_EQ(Pm::in16(*p.events, 0), 0x0000);
    EXPECT_FALSE(p.sci.high());
    EXPECT_EQ(p.sci.levels, (std::vector<bool> { true, false }));
}

TEST(AcpiPm, PowerButtonWithoutEnableRaisesNothing)
{
    Pm p;
    p.pm->press_power_button();
    EXPECT_TRUE(p.sci.levels.empty());
    Pm::out16(*p.events, 2, 0x0100); // enabling with the status set raises it
    EXPECT_TRUE(p.sci.high());
}

TEST(AcpiPm, WholeEventBlockAsOneDword)
{
    Pm p;
    std::array<uint8_t, 4> dword { 0x00, 0x00, 0x20, 0x01 };
    p.events->write(0, dword);
    std::array<uint8_t, 4> back {};
    p.events->read(0, back);
    EXPECT_EQ(back, dword);
}
