#pragma once
// A bus of non-overlapping address ranges (one for port I/O, one for MMIO).
// An access to no device reads all-ones and a write is dropped, with a rate-limited warning.
// Locking: the range map is guarded by a shared mutex (readers: vCPU accesses; writers: BAR
// moves and set-up). The lock is released before the device is called, so a device may
// move its own ranges (a PCI BAR write) without deadlock.
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string_view>

#include "base/result.h"
#include "bus/bus_device.h"

namespace vireo {

class Bus {
public:
    explicit Bus(std::string_view name)
        : m_name(name)
    {
    }

    // Registers [base, base + length) for device; overlapping an existing range is an error.
    [[nodiscard]] Result<void> insert(std::shared_ptr<BusDevice> device, uint64_t base, uint64_t length);
    // Removes the range that starts at base; returns false if there is none.
    bool remove(uint64_t base);

    // Dispatches an access; returns false when no device claims the whole access.
    bool read(uint64_t address, std::span<uint8_t> data) const;
    bool write(uint64_t address, std::span<const uint8_t> data) const;
    // A string I/O batch: data.size() / width accesses of `width` bytes at address, handed to
    // the device at once (BusDevice::read_string). No device: reads all-ones.
    bool read_string(uint64_t address, size_t width, std::span<uint8_t> data) const;
    bool write_string(uint64_t address, size_t width, std::span<const uint8_t> data) const;

private:
    struct Range {
        uint64_t length;
        std::shared_ptr<BusDevice> device;
    };
    // Finds the device whose range holds [address, address + size); sets offset.
    std::shared_ptr<BusDevice> find(uint64_t address, uint64_t size, uint64_t& offset) const;

    std::string_view m_name;
    mutable std::shared_mutex m_lock;
    std::map<uint64_t, Range> m_ranges; // keyed by base
};

} // namespace vireo
