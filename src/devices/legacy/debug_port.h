#pragma once
// Port 0x80, the POST-code port. Linux writes it as an I/O delay (outb_p) and firmware writes
// progress codes; both are swallowed silently. Reads return all-ones as on an empty ISA bus.
// Register at 0x80 length 1.
#include <algorithm>
#include <cstdint>
#include <span>

#include "bus/bus_device.h"

namespace vireo {

class DebugPortSink final : public BusDevice {
public:
    static constexpr uint64_t k_length = 1;

    void read(uint64_t, std::span<uint8_t> data) override { std::ranges::fill(data, 0xff); }
    void write(uint64_t, std::span<const uint8_t>) override { }
};

} // namespace vireo
