#pragma once
// The firmware debug console on ISA port 0x402 (QEMU's isa-debugcon, which SeaBIOS and OVMF
// print their debug log to): a byte written is a byte of output; a read answers 0xe9, which
// tells the firmware that the port is there.
#include <algorithm>
#include <cstdint>
#include <span>

#include "bus/bus_device.h"
#include "devices/legacy/serial_16550.h"

namespace vireo {

class DebugConsole final : public BusDevice {
public:
    static constexpr uint16_t k_port = 0x402;
    static constexpr uint8_t k_presence = 0xe9;

    explicit DebugConsole(SerialOutput& output)
        : m_output(output)
    {
    }
    void read(uint64_t, std::span<uint8_t> data) override { std::ranges::fill(data, k_presence); }
    void write(uint64_t, std::span<const uint8_t> data) override { m_output.write(data); }

private:
    SerialOutput& m_output;
};

} // namespace vireo
