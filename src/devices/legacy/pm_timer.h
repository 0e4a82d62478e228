#pragma once
// The ACPI power-management timer (ACPI 6.4 §4.8.3.3): a free-running 24-bit counter at
// 3.579545 MHz, read at PM base + 8. Firmware (SeaBIOS) times its delays with it; the FADT's
// PM_TMR_BLK points the OS at it.
#include <chrono>
#include <cstdint>
#include <functional>

#include "bus/bus_device.h"

namespace vireo {

class PmTimer final : public BusDevice {
public:
    static constexpr uint64_t k_frequency_hz = 3'579'545;
    static constexpr uint64_t k_register_length = 4;
    using Clock = std::function<std::chrono::nanoseconds()>; // monotonic time

    explicit PmTimer(Clock clock = {});

    [[nodiscard]] uint32_t value() const; // the 24-bit count
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t, std::span<const uint8_t>) override { } // read-only

private:
    Clock m_clock;
    std::chrono::nanoseconds m_start;
};

} // namespace vireo
