// The legacy devices registered on a PIO bus the way the pc machine wires them.
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "bus/bus.h"
#include "devices/legacy/acpi_pm.h"
#include "devices/legacy/cmos_rtc.h"
#include "devices/legacy/debug_port.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/reset_control.h"
#include "devices/legacy/serial_16550.h"
#include "machine/pc_layout.h"

using namespace vireo;

namespace {

class NullLine final : public InterruptLine {
public:
    void set_level(bool) override { }
};

class NullOutput final : public SerialOutput {
public:
    void write(std::span<const uint8_t> data) override { bytes += data.size(); }
    size_t bytes = 0;
};

uint8_t inb(const Bus& bus, uint64_t port)
{
    uint8_t value = 0;
    bus.read(port, std::span(&value, 1));
    return value;
}

void outb(const Bus& bus, uint64_t port, uint8_t value) { bus.write(port, std::span<const uint8_t>(&value, 1)); }

} // namespace

TEST(LegacyWiring, AllDevicesFitThePcLayout)
{
    NullLine line;
    NullOutput output;
    int resets = 0, shutdowns = 0;
    auto reset = [&] { ++resets; };
    Bus bus("pio");

    auto serial = std::make_shared<Serial16550>(line, output);
    auto rtc = std::make_shared<CmosRtc>(CmosConfig { 256ULL << 20, 0, 1 });
    auto i8042 = std::make_shared<I8042>(line, line, reset);
    auto pm = std::make_shared<AcpiPm>(line, [&] { ++shutdowns; });
    ASSERT_TRUE(bus.insert(serial, pc::k_com1_port, Serial16550::k_register_count));
    ASSERT_TRUE(bus.insert(rtc, 0x70, CmosRtc::k_port_count));
    ASSERT_TRUE(bus.insert(i8042->data_port(), 0x60, 1));
    ASSERT_TRUE(bus.insert(i8042->command_port(), 0x64, 1));
    ASSERT_TRUE(bus.insert(pm->event_block(), pc::k_pm1a_event_port, AcpiPm::k_event_length));
    ASSERT_TRUE(bus.insert(pm->control_block(), pc::k_pm1a_control_port, AcpiPm::k_control_length));
    ASSERT_TRUE(bus.insert(std::make_shared<SystemControlPortA>(reset), 0x92, SystemControlPortA::k_length));
    ASSERT_TRUE(bus.insert(std::make_shared<DebugPortSink>(), 0x80, DebugPortSink::k_length));
    // 0x61 stays free for KVM's in-kernel PIT; 0xcf9 goes through the PCI config device.
    EXPECT_TRUE(bus.insert(std::make_shared<DebugPortSink>(), 0x61, 1));

    outb(bus, pc::k_com1_port, 'x');
    EXPECT_EQ(output.bytes, 1u);
    outb(bus, 0x70, 0x0d);
    EXPECT_EQ(inb(bus, 0x71), 0x80);
    outb(bus, 0x64, 0xaa);
    EXPECT_EQ(inb(bus, 0x64) & 0x01, 0x01);
    EXPECT_EQ(inb(bus, 0x60), 0x55);
    outb(bus, 0x64, 0xfe);
    EXPECT_EQ(resets, 1);
    uint16_t s5 = static_cast<uint16_t>(pc::k_s5_sleep_type << 10 | 1 << 13);
    std::array<uint8_t, 2> bytes { static_cast<uint8_t>(s5), static_cast<uint8_t>(s5 >> 8) };
    bus.write(pc::k_pm1a_control_port, bytes);
    EXPECT_EQ(shutdowns, 1);
}
