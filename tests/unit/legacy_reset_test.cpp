#include <gtest/gtest.h>

#include "bus/bus.h"
#include "devices/legacy/debug_port.h"
#include "devices/legacy/reset_control.h"

using namespace vireo;

namespace {

uint8_t in(BusDevice& device)
{
    uint8_t value = 0;
    device.read(0, std::span(&value, 1));
    return value;
}

void out(BusDevice& device, uint8_t value) { device.write(0, std::span<const uint8_t>(&value, 1)); }

} // namespace

TEST(ResetControl, CpuResetBitResets)
{
    int resets = 0;
    ResetControl rcr([&] { ++resets; });
    EXPECT_FALSE(rcr.write_value(0x02)); // Linux's first write: hard reset selected, not yet done
    EXPECT_EQ(resets, 0);
    EXPECT_EQ(rcr.read_value(), 0x02);
    EXPECT_TRUE(rcr.write_value(0x06));
    EXPECT_EQ(resets, 1);
    EXPECT_TRUE(rcr.write_value(0x0e)); // full reset
    EXPECT_EQ(resets, 2);
}

TEST(ResetControl, AsBusDevice)
{
    int resets = 0;
    ResetControl rcr([&] { ++resets; });
    out(rcr, 0x02);
    EXPECT_EQ(in(rcr), 0x02);
    EXPECT_EQ(resets, 0);
    out(rcr, 0x06);
    EXPECT_EQ(resets, 1);
}

TEST(SystemControlPortA, FastResetAndA20)
{
    int resets = 0;
    SystemControlPortA port([&] { ++resets; });
    EXPECT_EQ(in(port), 0x02); // A20 on
    out(port, 0x00);
    EXPECT_EQ(in(port), 0x00);
    EXPECT_EQ(resets, 0);
    out(port, 0x03);
    EXPECT_EQ(resets, 1);
    EXPECT_EQ(in(port), 0x02); // the reset bit does not read back
    out(port, in(port) | 0x02); // read-modify-write of A20 must not reset again
    EXPECT_EQ(resets, 1);
}

TEST(DebugPortSink, SwallowsPostCodes)
{
    Bus bus("pio");
    ASSERT_TRUE(bus.insert(std::make_shared<DebugPortSink>(), 0x80, DebugPortSink::k_length));
    uint8_t code = 0x42;
    EXPECT_TRUE(bus.write(0x80, std::span<const uint8_t>(&code, 1)));
    uint8_t value = 0;
    EXPECT_TRUE(bus.read(0x80, std::span(&value, 1)));
    EXPECT_EQ(value, 0xff);
}
