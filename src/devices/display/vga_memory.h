#pragma once
// The VGA's video memory as the CPU sees it through the legacy window 0xA0000-0xBFFFF: four
// planes, the graphics controller's read modes (latches, colour compare) and write modes 0-3
// (rotate, set/reset, logical function, bit mask), the sequencer's map mask, chain-4 and
// odd/even addressing. With the Bochs DISPI extension enabled, the window is instead a 64 KiB
// bank of linear video memory.
//
// Layout in the video memory: plane p's byte at plane address a is vram[a * 4 + p]. In chain-4
// a CPU offset is then simply vram[offset] (mode 13h and the DISPI linear modes agree), and in
// odd/even mode CPU offset o is plane o & 1 at plane address o >> 1. The CRT side (renderers)
// reads the same layout. Every byte written is marked in a page bitmap for the display.
#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "devices/display/page_bitmap.h"
#include "devices/display/vga_registers.h"

namespace vireo {

class VgaMemory {
public:
    static constexpr uint64_t k_window_start = 0xA'0000;
    static constexpr uint64_t k_window_size = 0x2'0000;
    static constexpr uint64_t k_planar_size = 256 * 1024; // 4 planes of 64 KiB
    static constexpr uint64_t k_bank_size = 64 * 1024;

    struct State {
        std::array<uint8_t, 4> latches {};
        bool operator==(const State&) const = default;
    };

    // vram: at least k_planar_size bytes; registers: the device's VGA registers.
    VgaMemory(std::span<uint8_t> vram, const VgaRegisters& registers, PageBitmap& dirty)
        : m_vram(vram)
        , m_registers(registers)
        , m_dirty(dirty)
    {
    }

    // An access at `offset` into the 128 KiB window. bank: the DISPI bank's start in video
    // memory while the extension is enabled.
    [[nodiscard]] uint8_t read(uint64_t offset, std::optional<uint64_t> bank);
    void write(uint64_t offset, uint8_t value, std::optional<uint64_t> bank);

    [[nodiscard]] State save() const { return m_state; }
    void restore(const State& state) { m_state = state; }

private:
    // The offset inside the memory map the graphics controller selects (misc bits 3:2), or
    // nothing when the window part is not decoded.
    [[nodiscard]] std::optional<uint64_t> map_offset(uint64_t offset) const;
    void write_planar(uint64_t address, uint8_t value);

    std::span<uint8_t> m_vram;
    const VgaRegisters& m_registers;
    PageBitmap& m_dirty;
    State m_state;
};

} // namespace vireo
