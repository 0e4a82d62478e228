#include "devices/display/vga_memory.h"

#include <bit>

namespace vireo {

using namespace vga;

std::optional<uint64_t> VgaMemory::map_offset(uint64_t offset) const
{
    if (offset >= k_window_size)
        return std::nullopt;
    switch ((m_registers.gc(k_gc_misc) >> 2) & 3) {
    case 0: // 0xA0000-0xBFFFF
        return offset;
    case 1: // 0xA0000-0xAFFFF
        return offset < 0x1'0000 ? std::optional(offset) : std::nullopt;
    case 2: // 0xB0000-0xB7FFF
        return offset >= 0x1'0000 && offset < 0x1'8000 ? std::optional(offset - 0x1'0000) : std::nullopt;
    default: // 0xB8000-0xBFFFF
        return offset >= 0x1'8000 ? std::optional(offset - 0x1'8000) : std::nullopt;
    }
}

uint8_t VgaMemory::read(uint64_t offset, std::optional<uint64_t> bank)
{
    if (bank) {
        uint64_t at = *bank + offset;
        return offset < k_bank_size && at < m_vram.size() ? m_vram[at] : 0xff;
    }
    auto mapped = map_offset(offset);
    if (!mapped)
        return 0xff;
    uint64_t address = *mapped;
    const uint8_t memory_mode = m_registers.seq(k_seq_memory_mode);
    const uint8_t mode = m_registers.gc(k_gc_mode);
    if (memory_mode & 0x08) // chain-4: the low two address bits pick the plane
        return m_vram[address & (k_planar_size - 1)];
    if (mode & 0x10) { // odd/even: address bit 0 picks plane 0/1 (2/3 with read map bit 1)
        uint64_t plane = (m_registers.gc(k_gc_read_map) & 2) | (address & 1);
        return m_vram[(((address >> 1) & 0xffff) << 2) | plane];
    }
    address &= 0xffff;
    for (size_t plane = 0; plane < 4; ++plane)
        m_state.latches[plane] = m_vram[address * 4 + plane];
    if (!(mode & 0x08)) // read mode 0: the selected plane
        return m_state.latches[m_registers.gc(k_gc_read_map) & 3];
    // Read mode 1: a bit is set where every plane that "matters" (colour don't care) equals
    // the colour compare bit of that plane.
    const uint8_t compare = m_registers.gc(k_gc_color_compare);
    const uint8_t care = m_registers.gc(k_gc_color_dont_care);
    uint8_t result = 0xff;
    for (size_t plane = 0; plane < 4; ++plane) {
        if (!(care >> plane & 1))
            continue;
        uint8_t wanted = (compare >> plane & 1) ? 0xff : 0x00;
        result &= static_cast<uint8_t>(~(m_state.latches[plane] ^ wanted));
    }
    return result;
}

void VgaMemory::write(uint64_t offset, uint8_t value, std::optional<uint64_t> bank)
{
    if (bank) {
        uint64_t at = *bank + offset;
        if (offset < k_bank_size && at < m_vram.size()) {
            m_vram[at] = value;
            m_dirty.mark(at, 1);
        }
        return;
    }
    auto mapped = map_offset(offset);
    if (!mapped)
        return;
    uint64_t address = *mapped;
    const uint8_t memory_mode = m_registers.seq(k_seq_memory_mode);
    const uint8_t map_mask = m_registers.seq(k_seq_map_mask);
    if (memory_mode & 0x08) { // chain-4
        uint64_t at = address & (k_planar_size - 1);
        if (map_mask >> (at & 3) & 1) {
            m_vram[at] = value;
            m_dirty.mark(at, 1);
        }
        return;
    }
    if (!(memory_mode & 0x04)) { // odd/even (sequencer memory mode bit 2 clear)
        uint64_t plane = address & 1;
        if (map_mask >> plane & 1) {
            uint64_t at = (((address >> 1) & 0xffff) << 2) | plane;
            m_vram[at] = value;
            m_dirty.mark(at, 1);
        }
        return;
    }
    write_planar(address & 0xffff, value);
}

void VgaMemory::write_planar(uint64_t address, uint8_t value)
{
    const uint8_t mode = m_registers.gc(k_gc_mode) & 3;
    const uint8_t rotate = m_registers.gc(k_gc_data_rotate) & 7;
    const uint8_t function = (m_registers.gc(k_gc_data_rotate) >> 3) & 3;
    const uint8_t set_reset = m_registers.gc(k_gc_set_reset);
    const uint8_t enable_set_reset = m_registers.gc(k_gc_enable_set_reset);
    uint8_t bit_mask = m_registers.gc(k_gc_bit_mask);
    const auto& latches = m_state.latches;

    std::array<uint8_t, 4> data {};
    bool apply_function = true;
    switch (mode) {
    case 0: {
        uint8_t rotated = std::rotr(value, rotate);
        for (size_t plane = 0; plane < 4; ++plane)
            data[plane] = (enable_set_reset >> plane & 1) ? ((set_reset >> plane & 1) ? 0xff : 0x00) : rotated;
        break;
    }
    case 1: // the latches as they are
        data = latches;
        bit_mask = 0xff;
        apply_function = false;
        break;
    case 2:
        for (size_t plane = 0; plane < 4; ++plane)
            data[plane] = (value >> plane & 1) ? 0xff : 0x00;
        break;
    default: // 3: the rotated value, ANDed with the bit mask, is the bit mask; set/reset the data
        bit_mask &= std::rotr(value, rotate);
        for (size_t plane = 0; plane < 4; ++plane)
            data[plane] = (set_reset >> plane & 1) ? 0xff : 0x00;
        break;
    }
    if (apply_function) {
        for (size_t plane = 0; plane < 4; ++plane) {
            switch (function) {
            case 1:
                data[plane] &= latches[plane];
                break;
            case 2:
                data[plane] |= latches[plane];
                break;
            case 3:
                data[plane] ^= latches[plane];
                break;
            default:
                break;
            }
        }
    }
    const uint8_t map_mask = m_registers.seq(k_seq_map_mask);
    for (size_t plane = 0; plane < 4; ++plane) {
        if (!(map_mask >> plane & 1))
            continue;
        m_vram[address * 4 + plane]
            = static_cast<uint8_t>((data[plane] & bit_mask) | (latches[plane] & static_cast<uint8_t>(~bit_mask)));
    }
    m_dirty.mark(address * 4, 4);
}

} // namespace vireo
