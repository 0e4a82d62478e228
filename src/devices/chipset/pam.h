#pragma once
// The i440FX Programmable Attribute Map (Intel 82441FX datasheet §3.2.18, PAM0-PAM6 at host
// bridge config 0x59-0x5F): for each of 13 segments of 0xC0000-0xFFFFF (twelve of 16 KiB, then
// 0xF0000-0xFFFFF whole), whether reads and writes go to DRAM or to the PCI side, where the
// firmware ROM shows through. SeaBIOS copies itself from the ROM into DRAM with the segments
// write-enabled, then write-protects them; a guest that writes there afterwards writes nothing.
//
// Each segment is a KVM memory slot chosen by its attribute:
//   read and write  -> DRAM, writable          read only -> DRAM, read-only slot
//   write only      -> ROM, read-only slot      disabled  -> ROM, read-only slot
// (the C and D segments have no ROM behind them: no slot, reads are all-ones). Accesses that
// the slots do not serve exit as MMIO to window(): writes land in DRAM when the segment is
// write-enabled and are dropped otherwise.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>

#include "bus/bus_device.h"
#include "memory/memory_slots.h"

namespace vireo {

class Pam final {
public:
    static constexpr uint64_t k_area_start = 0xC'0000;
    static constexpr uint64_t k_area_end = 0x10'0000;
    static constexpr uint64_t k_area_size = k_area_end - k_area_start;
    static constexpr uint16_t k_first_register = 0x59; // PAM0
    static constexpr size_t k_register_count = 7;
    static constexpr size_t k_segment_count = 13;

    enum class Attribute : uint8_t { Disabled = 0, ReadOnly = 1, WriteOnly = 2, ReadWrite = 3 };

    // ram: host view of guest RAM 0xC0000-0xFFFFF; rom: the firmware bytes that end at
    // 0x100000 on the PCI side (the image's last 128 KiB at most; may be empty).
    Pam(MemorySlots& slots, std::span<uint8_t> ram, std::span<uint8_t> rom);
    ~Pam();
    Pam(const Pam&) = delete;
    Pam& operator=(const Pam&) = delete;

    // Power-on state: every register 0, so 0xF0000-0xFFFFF reads the ROM.
    [[nodiscard]] static std::array<uint8_t, k_register_count> reset_registers() { return {}; }
    // Everything DRAM and writable (direct kernel boot, where no firmware set the map).
    [[nodiscard]] static std::array<uint8_t, k_register_count> open_registers();

    // Applies the seven register values (config bytes 0x59-0x5F) and maps the segments.
    [[nodiscard]] Result<void> set_registers(std::span<const uint8_t, k_register_count> values);
    [[nodiscard]] Attribute attribute(size_t segment) const;

    // The MMIO side of the area (register it at k_area_start, length k_area_size).
    [[nodiscard]] std::shared_ptr<BusDevice> window();

    struct Segment {
        uint64_t start; // guest-physical
        uint64_t size;
    };
    [[nodiscard]] static Segment segment(size_t index);

private:
    class Window;
    struct Mapped {
        SlotId slot;
        Attribute attribute;
    };
    [[nodiscard]] Result<void> map_segment(size_t index, Attribute attribute);
    [[nodiscard]] std::span<uint8_t> rom_for(size_t index) const; // empty: no ROM behind it
    void read(uint64_t offset, std::span<uint8_t> data);
    void write(uint64_t offset, std::span<const uint8_t> data);

    MemorySlots& m_slots;
    std::span<uint8_t> m_ram;
    std::span<uint8_t> m_rom;
    mutable std::mutex m_lock;
    std::array<Attribute, k_segment_count> m_attributes {};
    std::array<std::optional<SlotId>, k_segment_count> m_mapped {};
    bool m_initialised = false;
};

} // namespace vireo
