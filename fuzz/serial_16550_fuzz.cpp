// libFuzzer target for the 16550A UART's register interface (NS16550A datasheet): the input is a
// program of register reads and writes (any width, any offset of the 8-port window), host input,
// resets and drained-callback checks. Bugs: a crash or sanitizer report; an IIR value the
// datasheet does not define (Table 4: bits 5:4 zero, interrupt ids 1, 6, 4, C, 2, 0); more
// receiver space than the 16-byte FIFO; host input accepted beyond the space offered; more bytes
// transmitted than the guest wrote to the transmitter holding register.
//
// Each step: one opcode byte, then its operands (missing bytes read as zero).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "devices/legacy/serial_16550.h"
#include "device_fuzz_support.h"

using namespace vireo;

namespace {

class CountingOutput final : public SerialOutput {
public:
    void write(std::span<const uint8_t> bytes) override { total += bytes.size(); }
    uint64_t total = 0;
};

constexpr uint64_t k_iir = 2;

bool valid_iir(uint8_t iir)
{
    uint8_t id = iir & 0x0f;
    return (iir & 0x30) == 0 && (id == 0x1 || id == 0x6 || id == 0x4 || id == 0xc || id == 0x2 || id == 0x0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::Reader in(data, size);
    fuzz::LevelLine line;
    CountingOutput output;
    Serial16550 uart(line, output);
    int drained_calls = 0;
    uart.set_rx_drained_callback([&] { ++drained_calls; });
    uint64_t data_port_writes = 0; // bytes written at offset 0: THR, or DLL while DLAB is set

    for (size_t step = 0; step < 512 && !in.done(); ++step) {
        uint8_t op = in.byte();
        switch (op % 5) {
        case 0:
        case 1: { // a register write of 1, 2 or 4 bytes at any offset
            uint64_t offset = in.byte() % Serial16550::k_register_count;
            std::array<uint8_t, 4> bytes {};
            size_t width = fuzz::access_width(op >> 3);
            for (size_t i = 0; i < width; ++i)
                bytes[i] = in.byte();
            // a wide access covers the registers after it (the bus only passes accesses inside the window)
            width = std::min<size_t>(width, Serial16550::k_register_count - offset);
            if (offset == 0)
                ++data_port_writes;
            uart.write(offset, std::span(bytes).first(width));
            break;
        }
        case 2: { // a register read
            uint64_t offset = in.byte() % Serial16550::k_register_count;
            std::array<uint8_t, 4> bytes {};
            size_t width = std::min<size_t>(fuzz::access_width(op >> 3), Serial16550::k_register_count - offset);
            uart.read(offset, std::span(bytes).first(width));
            if (offset == k_iir && !valid_iir(bytes[0]))
                __builtin_trap();
            break;
        }
        case 3: { // host input
            std::vector<uint8_t> bytes(in.byte() % 40);
            for (auto& byte : bytes)
                byte = in.byte();
            size_t space = uart.input_space();
            size_t accepted = uart.push_input(bytes);
            if (accepted > bytes.size() || accepted > space)
                __builtin_trap();
            break;
        }
        default:
            if (op & 0x80)
                uart.reset();
            else
                (void)uart.describe_state();
            break;
        }
        if (uart.input_space() > Serial16550::k_fifo_size)
            __builtin_trap(); // the receiver holds at most its FIFO
        if (output.total > data_port_writes)
            __builtin_trap(); // transmitted bytes the guest never wrote
    }
    (void)drained_calls;
    return 0;
}
