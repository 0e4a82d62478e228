#pragma once
// A bus of non-overlapping address ranges (one for port I/O, one for MMIO).
// An access to no device reads all-ones and a write is dropped, with a rate-limited warning.
// Locking: the range map is guarded by a shared mutex (readers: vCPU accesses; writers: BAR
// moves and set-up). The lock is released before the device is called, so a device may
// move its own ranges (a PCI BAR write) without deadlock.
// Each registration has a name and a slot, a small index the exit profiler counts by: a range
// inserted again under the same name (a BAR moved) keeps its slot.
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "bus/bus_device.h"

namespace vireo {

// A registration's index on its bus: 0 for an access that no device claimed.
using BusSlot = uint16_t;

// What served an access: the slot of the device, or none (reads all-ones, writes dropped).
struct BusDispatch {
    BusSlot slot = 0;
    explicit operator bool() const { return slot != 0; }
};

// A slot's name and where its range was last inserted.
struct BusSlotInfo {
    std::string name;
    uint64_t base = 0;
    uint64_t length = 0;
};

class Bus {
public:
    // Slot 0 is "no device"; once the table is full, further names share its last slot.
    static constexpr size_t k_max_slots = 128;

    explicit Bus(std::string_view name)
        : m_name(name)
    {
    }

    // Registers [base, base + length) for device; overlapping an existing range is an error.
    // name: what the exit profiler calls it ("serial0"); empty: the bus's name and the base.
    [[nodiscard]] Result<void> insert(std::shared_ptr<BusDevice> device, uint64_t base, uint64_t length,
        std::string_view name = {});
    // Removes the range that starts at base; returns false if there is none.
    bool remove(uint64_t base);

    // Dispatches an access; false (slot 0) when no device claims the whole access.
    BusDispatch read(uint64_t address, std::span<uint8_t> data) const;
    BusDispatch write(uint64_t address, std::span<const uint8_t> data) const;
    // A string I/O batch: data.size() / width accesses of `width` bytes at address, handed to
    // the device at once (BusDevice::read_string). No device: reads all-ones.
    BusDispatch read_string(uint64_t address, size_t width, std::span<uint8_t> data) const;
    BusDispatch write_string(uint64_t address, size_t width, std::span<const uint8_t> data) const;

    // Every slot's name, by slot (index 0: "(none)"), for the exit profiler's reports.
    [[nodiscard]] std::vector<BusSlotInfo> slots() const;
    [[nodiscard]] std::string_view name() const { return m_name; }

private:
    struct Range {
        uint64_t length;
        std::shared_ptr<BusDevice> device;
        BusSlot slot;
    };
    struct Found {
        std::shared_ptr<BusDevice> device;
        uint64_t offset = 0;
        BusSlot slot = 0;
    };
    // Finds the device whose range holds [address, address + size).
    Found find(uint64_t address, uint64_t size) const;
    // The slot for name, made if new (under the exclusive lock).
    BusSlot slot_for(std::string name, uint64_t base, uint64_t length);

    std::string_view m_name;
    mutable std::shared_mutex m_lock;
    std::map<uint64_t, Range> m_ranges; // keyed by base
    std::vector<BusSlotInfo> m_slots { BusSlotInfo { "(none)", 0, 0 } };
};

} // namespace vireo
