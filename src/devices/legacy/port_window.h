#pragma once
// Presents part of a device's offset space as a BusDevice of its own, so that one device
// object can sit at several separate port ranges (the i8042 at 0x60 and 0x64, ACPI PM1a
// event and control blocks). Offset 0 of the window is offset base of the device.
#include <cstdint>
#include <memory>
#include <span>

#include "bus/bus_device.h"

namespace vireo {

class PortWindow final : public BusDevice {
public:
    PortWindow(std::shared_ptr<BusDevice> device, uint64_t base)
        : m_device(std::move(device))
        , m_base(base)
    {
    }

    void read(uint64_t offset, std::span<uint8_t> data) override { m_device->read(m_base + offset, data); }
    void write(uint64_t offset, std::span<const uint8_t> data) override { m_device->write(m_base + offset, data); }

private:
    std::shared_ptr<BusDevice> m_device;
    uint64_t m_base;
};

} // namespace vireo
