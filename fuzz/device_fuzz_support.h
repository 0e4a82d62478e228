#pragma once
// What the register-interface fuzz targets (UART, RTC, i8042, PM, PCI) share: an interrupt line
// that remembers its level, an MSI router that hands out GSIs and remembers routes, and an
// access of 1, 2 or 4 bytes as a vCPU makes one.
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>

#include "bus/interrupt.h"
#include "fuzz_reader.h"

namespace vireo::fuzz {

class LevelLine final : public InterruptLine {
public:
    void set_level(bool high) override { level = high; }
    bool level = false;
};

class CountingMsiRouter final : public MsiRouter {
public:
    Result<uint32_t> allocate_gsi() override { return m_next_gsi++; }
    Result<void> set_msi_route(uint32_t gsi, MsiMessage message) override
    {
        if (gsi >= m_next_gsi)
            __builtin_trap(); // a route for a GSI never allocated
        routes[gsi] = message;
        return {};
    }
    Result<void> attach_irqfd(uint32_t gsi, int) override
    {
        if (gsi >= m_next_gsi)
            __builtin_trap();
        return {};
    }
    void detach_irqfd(uint32_t, int) override { }
    std::map<uint32_t, MsiMessage> routes;

private:
    uint32_t m_next_gsi = 24; // past the IOAPIC's pins, as on the real machine
};

// The width of a port or MMIO access: 1, 2 or 4 bytes (what an x86 IN/OUT or MOV makes).
inline size_t access_width(uint8_t selector)
{
    static constexpr size_t widths[] = { 1, 2, 4, 1 };
    return widths[selector & 3];
}

// Little-endian value of the first `width` bytes (width <= 4).
inline uint32_t value_of(std::span<const uint8_t> bytes)
{
    uint32_t value = 0;
    for (size_t i = 0; i < bytes.size() && i < 4; ++i)
        value |= uint32_t { bytes[i] } << (8 * i);
    return value;
}

} // namespace vireo::fuzz
