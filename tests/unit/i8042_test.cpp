#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "devices/legacy/i8042.h"

using namespace vireo;

namespace {

class FakeLine final : public InterruptLine {
public:
    void set_level(bool high) override { levels.push_back(high); }
    bool high() const { return !levels.empty() && levels.back(); }
    std::vector<bool> levels;
};

struct Controller {
    FakeLine line;
    FakeLine aux_line;
    int resets = 0;
    std::shared_ptr<I8042> i8042 = std::make_shared<I8042>(line, aux_line, [this] { ++resets; });
    std::shared_ptr<BusDevice> data = i8042->data_port();
    std::shared_ptr<BusDevice> command = i8042->command_port();

    uint8_t status()
    {
        uint8_t value = 0;
        command->read(0, std::span(&value, 1));
        return value;
    }
    uint8_t read_data()
    {
        uint8_t value = 0;
        data->read(0, std::span(&value, 1));
        return value;
    }
    void send_command(uint8_t value) { command->write(0, std::span<const uint8_t>(&value, 1)); }
    void send_data(uint8_t value) { data->write(0, std::span<const uint8_t>(&value, 1)); }
    // Reads everything queued, as Linux's i8042_flush does.
    std::vector<uint8_t> drain()
    {
        std::vector<uint8_t> bytes;
        while (status() & 0x01)
            bytes.push_back(read_data());
        return bytes;
    }
};

} // namespace

TEST(I8042, SelfTestReturns55)
{
    Controller c;
    EXPECT_EQ(c.status() & 0x01, 0);
    c.send_command(0xaa);
    EXPECT_EQ(c.status() & 0x01, 0x01);
    EXPECT_EQ(c.read_data(), 0x55);
    EXPECT_EQ(c.status() & 0x01, 0);
    EXPECT_EQ(c.status() & 0x04, 0x04); // system flag
}

TEST(I8042, InterfaceTestsPass)
{
    Controller c;
    c.send_command(0xab);
    c.send_command(0xa9);
    EXPECT_EQ(c.drain(), (std::vector<uint8_t> { 0x00, 0x00 }));
}

TEST(I8042, CommandByteRoundTrip)
{
    Controller c;
    c.send_command(0x20);
    EXPECT_EQ(c.read_data(), 0x65); // power-on: IRQ1 enabled, system flag, aux off, translate
    c.send_command(0x60);
    c.send_data(0x74);
    c.send_command(0x20);
    EXPECT_EQ(c.read_data(), 0x74);
    EXPECT_EQ(c.status() & 0x08, 0x08); // last write went to the command port
}

TEST(I8042, KeyboardPortEnableBitsFollowCommands)
{
    Controller c;
    c.send_command(0xad);
    c.send_command(0x20);
    EXPECT_EQ(c.read_data() & 0x10, 0x10);
    c.send_command(0xae);
    c.send_command(0x20);
    EXPECT_EQ(c.read_data() & 0x10, 0x00);
}

TEST(I8042, AuxPortLoopbackAndEnable)
{
    Controller c;
    // Internal loop (0xD3) works and marks the byte as aux data...
    c.send_command(0xd3);
    c.send_data(0x5a);
    EXPECT_EQ(c.status() & 0x21, 0x21);
    EXPECT_EQ(c.read_data(), 0x5a);
    // ...and enabling the aux port clears AUXDIS (Linux's i8042_check_aux).
    c.send_command(0xa7);
    c.send_command(0xa8);
    c.send_command(0x20);
    EXPECT_EQ(c.read_data() & 0x20, 0x00);
    // The mouse answers its reset.
    c.send_command(0xd4);
    c.send_data(0xff);
    EXPECT_EQ(c.drain(), (std::vector<uint8_t> { 0xfa, 0xaa, 0x00 }));
}

TEST(I8042, PulseResetCallsReset)
{
    Controller c;
    c.send_command(0xfe);
    EXPECT_EQ(c.resets, 1);
    c.send_command(0xff); // pulses nothing
    EXPECT_EQ(c.resets, 1);
}

TEST(I8042, OutputPortResetLineIsActiveLow)
{
    Controller c;
    c.send_command(0xd0);
    EXPECT_EQ(c.read_data(), 0x03);
    c.send_command(0xd1);
    c.send_data(0x01); // A20 off, no reset
    EXPECT_EQ(c.resets, 0);
    c.send_command(0xd0);
    EXPECT_EQ(c.read_data(), 0x01);
    c.send_command(0xd1);
    c.send_data(0x00);
    EXPECT_EQ(c.resets, 1);
}

TEST(I8042, KeyboardCommandsAreAcknowledged)
{
    Controller c;
    c.send_data(0xff);
    EXPECT_EQ(c.drain(), (std::vector<uint8_t> { 0xfa, 0xaa }));
    c.send_data(0xf2);
    EXPECT_EQ(c.drain(), (std::vector<uint8_t> { 0xfa, 0xab, 0x83 }));
    c.send_data(0xed);
    EXPECT_EQ(c.drain(), (std::vector<uint8_t> { 0xfa }));
    c.send_data(0x07);
    EXPECT_EQ(c.drain(), (std::vector<uint8_t> { 0xfa }));
    c.send_data(0xf5);
    c.send_data(0xf4);
    EXPECT_EQ(c.drain(), (std::vector<uint8_t> { 0xfa, 0xfa }));
    c.send_data(0xf0);
    c.send_data(0x00);
    EXPECT_EQ(c.drain(), (std::vector<uint8_t> { 0xfa, 0xfa, 0x02 }));
    c.send_data(0xee);
    EXPECT_EQ(c.drain(), (std::vector<uint8_t> { 0xee }));
}

TEST(I8042, Irq1PulsesPerByte)
{
    Controller c;
    c.send_data(0xff); // two reply bytes, IRQ1 enabled in the power-on command byte
    EXPECT_EQ(c.line.levels, (std::vector<bool> { true }));
    EXPECT_EQ(c.read_data(), 0xfa);
    EXPECT_EQ(c.line.levels, (std::vector<bool> { true, false, true })); // a fresh edge
    EXPECT_EQ(c.read_data(), 0xaa);
    EXPECT_EQ(c.line.levels, (std::vector<bool> { true, false, true, false }));
}

TEST(I8042, NoIrqWhenDisabledInCommandByte)
{
    Controller c;
    c.send_command(0x60);
    c.send_data(0x64);
    c.send_command(0xaa);
    EXPECT_TRUE(c.line.levels.empty());
    EXPECT_EQ(c.read_data(), 0x55);
}

TEST(I8042, InjectedKeysAndFullBuffer)
{
    Controller c;
    std::vector<uint8_t> keys(20, 0x1e);
    EXPECT_EQ(c.i8042->inject_keyboard_bytes(keys), 16u);
    EXPECT_EQ(c.drain().size(), 16u);
    c.send_command(0xad);
    EXPECT_EQ(c.i8042->inject_keyboard_bytes(keys), 0u);
}

TEST(I8042, EmptyReadRepeatsLastByteAndStrayPortsAreInert)
{
    Controller c;
    c.send_command(0xaa);
    EXPECT_EQ(c.read_data(), 0x55);
    EXPECT_EQ(c.read_data(), 0x55);
    uint8_t value = 0;
    c.i8042->read(2, std::span(&value, 1));
    EXPECT_EQ(value, 0xff);
    c.i8042->write(1, std::span<const uint8_t>(&value, 1));
}
