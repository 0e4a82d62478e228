#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "devices/legacy/serial_16550.h"

using namespace vireo;

namespace {

class FakeLine final : public InterruptLine {
public:
    void set_level(bool high) override { levels.push_back(high); }
    bool high() const { return !levels.empty() && levels.back(); }
    std::vector<bool> levels;
};

class FakeOutput final : public SerialOutput {
public:
    void write(std::span<const uint8_t> data) override { bytes.insert(bytes.end(), data.begin(), data.end()); }
    std::vector<uint8_t> bytes;
};

constexpr uint64_t RBR = 0, THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

struct Uart {
    FakeLine line;
    FakeOutput output;
    Serial16550 uart { line, output };

    uint8_t in(uint64_t reg)
    {
        uint8_t value = 0;
        uart.read(reg, std::span(&value, 1));
        return value;
    }
    void out(uint64_t reg, uint8_t value) { uart.write(reg, std::span<const uint8_t>(&value, 1)); }
    size_t push(std::vector<uint8_t> bytes) { return uart.push_input(bytes); }
};

} // namespace

TEST(Serial16550, PowerOnState)
{
    Uart u;
    EXPECT_EQ(u.in(IIR), 0x01);
    EXPECT_EQ(u.in(LSR), 0x60);
    EXPECT_EQ(u.in(MSR), 0xb0); // CTS, DSR, DCD: a ready modem
    EXPECT_TRUE(u.line.levels.empty());
}

TEST(Serial16550, PassesLinuxAutoconfigProbe)
{
    Uart u;
    // IER bits 7:4 must read zero, bits 3:0 must stick.
    u.out(IER, 0);
    EXPECT_EQ(u.in(IER) & 0x0f, 0);
    u.out(IER, 0xff);
    EXPECT_EQ(u.in(IER), 0x0f);
    u.out(IER, 0);
    // Loopback with RTS and OUT2: MSR high nibble must read CTS|DCD = 0x90.
    u.out(MCR, 0x10 | 0x0a);
    EXPECT_EQ(u.in(MSR) & 0xf0, 0x90);
    u.out(MCR, 0);
    // FIFO enabled: IIR bits 7:6 = 11 (16550A), bit 5 = 0 (not a 16750).
    u.out(FCR, 0x01 | 0x20);
    EXPECT_EQ(u.in(IIR) & 0xe0, 0xc0);
    // Scratch register.
    u.out(SCR, 0x5a);
    EXPECT_EQ(u.in(SCR), 0x5a);
}

TEST(Serial16550, LoopbackEchoesTransmittedByte)
{
    Uart u;
    u.out(MCR, 0x10);
    u.out(THR, 0x42);
    EXPECT_TRUE(u.output.bytes.empty());
    EXPECT_EQ(u.in(LSR) & 0x01, 0x01);
    EXPECT_EQ(u.in(RBR), 0x42);
    EXPECT_EQ(u.in(LSR) & 0x01, 0x00);
}

TEST(Serial16550, TransmitsToOutput)
{
    Uart u;
    u.out(THR, 'h');
    u.out(THR, 'i');
    EXPECT_EQ(u.output.bytes, (std::vector<uint8_t> { 'h', 'i' }));
    EXPECT_EQ(u.in(LSR) & 0x60, 0x60);
}

TEST(Serial16550, DivisorLatchIsBehindDlab)
{
    Uart u;
    u.out(IER, 0x05);
    u.out(LCR, 0x83);
    u.out(0, 0x01);
    u.out(1, 0x00);
    EXPECT_EQ(u.in(0), 0x01);
    EXPECT_EQ(u.in(1), 0x00);
    u.out(LCR, 0x03);
    EXPECT_EQ(u.in(IER), 0x05);
    EXPECT_TRUE(u.output.bytes.empty());
}

TEST(Serial16550, ThreInterruptRaisedOnEnableAndClearedByIirRead)
{
    Uart u;
    u.out(IER, 0x02);
    EXPECT_TRUE(u.line.high());
    EXPECT_EQ(u.in(IIR), 0x02);
    EXPECT_FALSE(u.line.high());
    EXPECT_EQ(u.in(IIR), 0x01);
    // Linux's UART_BUG_THRE test: disabling and re-enabling ETBEI must raise THRE again.
    u.out(IER, 0);
    u.out(IER, 0x02);
    EXPECT_TRUE(u.line.high());
    EXPECT_EQ(u.in(IIR), 0x02);
    // Writing THR: the byte goes out at once and THRE is pending again.
    u.out(THR, 'x');
    EXPECT_TRUE(u.line.high());
    EXPECT_EQ(u.in(IIR), 0x02);
    EXPECT_EQ(u.line.levels, (std::vector<bool> { true, false, true, false, true, false }));
}

TEST(Serial16550, ThreInterruptGoesAwayWhenDisabled)
{
    Uart u;
    u.out(IER, 0x02);
    EXPECT_TRUE(u.line.high());
    u.out(IER, 0x00);
    EXPECT_FALSE(u.line.high());
    EXPECT_EQ(u.in(IIR), 0x01);
}

TEST(Serial16550, IirReportsHighestPriorityFirst)
{
    Uart u;
    u.out(FCR, 0x01); // FIFO on, trigger level 1
    u.out(MCR, 0x10); // loopback
    for (int i = 0; i < 17; ++i)
        u.out(THR, static_cast<uint8_t>(i)); // the 17th overruns
    u.out(MCR, 0x1b); // loopback; DTR/RTS/OUT2 change -> modem status deltas
    u.out(IER, 0x0f);
    EXPECT_TRUE(u.line.high());
    EXPECT_EQ(u.in(IIR), 0xc6); // line status (overrun)
    EXPECT_EQ(u.in(LSR) & 0x03, 0x03); // OE and DR; reading clears OE
    EXPECT_EQ(u.in(IIR), 0xc4); // rx data at the trigger level
    for (int i = 0; i < 16; ++i)
        EXPECT_EQ(u.in(RBR), i);
    EXPECT_EQ(u.in(IIR), 0xc2); // THR empty; reading IIR clears it
    EXPECT_EQ(u.in(IIR), 0xc0); // modem status
    EXPECT_NE(u.in(MSR) & 0x0f, 0); // deltas reported, then cleared
    EXPECT_EQ(u.in(IIR), 0xc1);
    EXPECT_FALSE(u.line.high());
}

TEST(Serial16550, FifoHoldsSixteenThenOverruns)
{
    Uart u;
    u.out(FCR, 0x07);
    u.out(MCR, 0x10);
    for (int i = 0; i < 16; ++i)
        u.out(THR, static_cast<uint8_t>('a' + i));
    EXPECT_EQ(u.in(LSR) & 0x02, 0); // full, no overrun yet
    u.out(THR, 'z');
    EXPECT_EQ(u.in(LSR) & 0x03, 0x03);
    EXPECT_EQ(u.in(LSR) & 0x02, 0); // OE cleared by the read
    for (int i = 0; i < 16; ++i)
        EXPECT_EQ(u.in(RBR), 'a' + i); // the FIFO kept its contents; 'z' was lost
    EXPECT_EQ(u.in(LSR) & 0x01, 0);
}

TEST(Serial16550, RxTriggerLevelAndTimeout)
{
    Uart u;
    u.out(FCR, 0x81); // trigger level 8
    u.out(IER, 0x01);
    EXPECT_EQ(u.push({ 1, 2, 3 }), 3u);
    EXPECT_TRUE(u.line.high());
    EXPECT_EQ(u.in(IIR), 0xcc); // below the trigger: character timeout
    EXPECT_EQ(u.push({ 4, 5, 6, 7, 8 }), 5u);
    EXPECT_EQ(u.in(IIR), 0xc4);
    for (int i = 1; i <= 8; ++i)
        EXPECT_EQ(u.in(RBR), i);
    EXPECT_FALSE(u.line.high());
}

TEST(Serial16550, FcrClearEmptiesReceiver)
{
    Uart u;
    u.out(FCR, 0x01);
    EXPECT_EQ(u.push({ 1, 2 }), 2u);
    u.out(FCR, 0x03);
    EXPECT_EQ(u.in(LSR) & 0x01, 0);
}

TEST(Serial16550, PushInputAppliesBackPressure)
{
    Uart u;
    int drained = 0;
    u.uart.set_rx_drained_callback([&] { ++drained; });
    // Without the FIFO the receiver holds one byte.
    EXPECT_EQ(u.uart.input_space(), 1u);
    EXPECT_EQ(u.push({ 'a', 'b' }), 1u);
    EXPECT_EQ(u.in(RBR), 'a');
    EXPECT_EQ(drained, 1);

    u.out(FCR, 0x01);
    std::vector<uint8_t> input(20);
    for (size_t i = 0; i < input.size(); ++i)
        input[i] = static_cast<uint8_t>(i);
    EXPECT_EQ(u.uart.push_input(input), 16u);
    EXPECT_EQ(u.uart.input_space(), 0u);
    EXPECT_EQ(u.in(LSR) & 0x02, 0); // nothing was dropped: no overrun
    for (int i = 0; i < 15; ++i)
        EXPECT_EQ(u.in(RBR), i);
    EXPECT_EQ(drained, 1); // not yet empty
    EXPECT_EQ(u.in(RBR), 15);
    EXPECT_EQ(drained, 2);
    EXPECT_EQ(u.uart.push_input(std::span(input).subspan(16)), 4u);
    EXPECT_EQ(u.in(RBR), 16);
}

TEST(Serial16550, LoopbackRefusesHostInputUntilItEnds)
{
    Uart u;
    int drained = 0;
    u.uart.set_rx_drained_callback([&] { ++drained; });
    u.out(MCR, 0x10);
    EXPECT_EQ(u.push({ 'x' }), 0u);
    EXPECT_EQ(drained, 0);
    u.out(MCR, 0x00);
    EXPECT_EQ(drained, 1);
    EXPECT_EQ(u.push({ 'x' }), 1u);
}

TEST(Serial16550, RxInterruptLevelFollowsData)
{
    Uart u;
    u.out(IER, 0x01);
    EXPECT_TRUE(u.line.levels.empty());
    u.push({ 'q' });
    EXPECT_EQ(u.line.levels, (std::vector<bool> { true }));
    EXPECT_EQ(u.in(IIR), 0x04);
    EXPECT_EQ(u.line.levels.size(), 1u); // level unchanged: no extra call
    EXPECT_EQ(u.in(RBR), 'q');
    EXPECT_EQ(u.line.levels, (std::vector<bool> { true, false }));
}

TEST(Serial16550, ResetLowersLineAndClearsState)
{
    Uart u;
    u.out(IER, 0x02);
    u.out(SCR, 7);
    EXPECT_TRUE(u.line.high());
    u.uart.reset();
    EXPECT_FALSE(u.line.high());
    EXPECT_EQ(u.in(IER), 0);
    EXPECT_EQ(u.in(SCR), 0);
}

TEST(Serial16550, WideAndOutOfRangeAccessesAreHarmless)
{
    Uart u;
    std::array<uint8_t, 4> data { 0x11, 0x22, 0x33, 0x44 };
    u.uart.write(6, data); // MSR (read-only), SCR, then two bytes past the end
    std::array<uint8_t, 2> back {};
    u.uart.read(7, back);
    EXPECT_EQ(back[0], 0x22);
    EXPECT_EQ(back[1], 0xff);
}

TEST(Serial16550, InputFromAnotherThreadArrivesInOrderWithoutLoss)
{
    Uart u;
    u.out(FCR, 0x01);
    std::vector<uint8_t> input(2000);
    for (size_t i = 0; i < input.size(); ++i)
        input[i] = static_cast<uint8_t>(i * 7);
    // The "event loop": offers what is left whenever the UART says it drained.
    std::atomic<bool> drained { true };
    u.uart.set_rx_drained_callback([&] { drained = true; });
    std::thread feeder([&] {
        size_t sent = 0;
        while (sent < input.size()) {
            if (!drained.exchange(false)) {
                std::this_thread::yield();
                continue;
            }
            sent += u.uart.push_input(std::span(input).subspan(sent));
        }
    });
    std::vector<uint8_t> received;
    while (received.size() < input.size()) {
        if (u.in(LSR) & 0x01)
            received.push_back(u.in(RBR));
        else
            std::this_thread::yield();
    }
    feeder.join();
    EXPECT_EQ(received, input);
    EXPECT_EQ(u.in(LSR) & 0x02, 0);
}
