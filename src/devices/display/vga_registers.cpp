#include "devices/display/vga_registers.h"

namespace vireo {

using namespace vga;

namespace {
// Index registers keep the bits real VGAs decode; an index past the last register selects
// nothing: its data reads 0 and writes are dropped.
constexpr uint8_t k_seq_index_mask = 0x07;
constexpr uint8_t k_gc_index_mask = 0x0f;
constexpr uint8_t k_crtc_index_mask = 0x3f;
constexpr uint8_t k_attr_index_mask = 0x1f;
} // namespace

uint8_t VgaRegisters::read(uint16_t port)
{
    auto& s = m_state;
    switch (port) {
    case 0x3c0:
        return s.attr_index;
    case 0x3c1: {
        size_t index = s.attr_index & k_attr_index_mask;
        return index < k_attr_count ? s.attr[index] : 0;
    }
    case 0x3c2:
        return 0x10; // input status 0: switch sense (a colour monitor)
    case 0x3c4:
        return s.seq_index;
    case 0x3c5:
        return (s.seq_index & k_seq_index_mask) < k_seq_count ? s.seq[s.seq_index & k_seq_index_mask] : 0;
    case 0x3c6:
        return s.pel_mask;
    case 0x3c7:
        return s.dac_reading ? 3 : 0;
    case 0x3c8:
        return s.dac_write_index;
    case 0x3c9:
        return read_dac_data();
    case 0x3ca:
        return s.feature_control;
    case 0x3cc:
        return s.misc;
    case 0x3ce:
        return s.gc_index;
    case 0x3cf:
        return (s.gc_index & k_gc_index_mask) < k_gc_count ? s.gc[s.gc_index & k_gc_index_mask] : 0;
    case 0x3b4:
    case 0x3d4:
        if ((port == 0x3d4) != color_io())
            return 0xff;
        return s.crtc_index;
    case 0x3b5:
    case 0x3d5: {
        if ((port == 0x3d5) != color_io())
            return 0xff;
        size_t index = s.crtc_index & k_crtc_index_mask;
        return index < k_crtc_count ? s.crtc[index] : 0;
    }
    case 0x3ba:
    case 0x3da: {
        if ((port == 0x3da) != color_io())
            return 0xff;
        // Input status 1 resets the attribute flip-flop. Display-enable (bit 0) and vertical
        // retrace (bit 3) alternate on every read, so loops waiting for either edge end.
        s.attr_data_next = false;
        s.retrace_phase ^= 1;
        return s.retrace_phase ? 0x09 : 0x00;
    }
    default:
        return 0xff;
    }
}

void VgaRegisters::write(uint16_t port, uint8_t value)
{
    auto& s = m_state;
    ++m_generation;
    switch (port) {
    case 0x3c0:
        if (!s.attr_data_next) {
            s.attr_index = value & 0x3f;
        } else {
            size_t index = s.attr_index & k_attr_index_mask;
            if (index < k_attr_count)
                s.attr[index] = index < 16 ? value & 0x3f : value;
        }
        s.attr_data_next = !s.attr_data_next;
        break;
    case 0x3c2:
        s.misc = value;
        break;
    case 0x3c4:
        s.seq_index = value;
        break;
    case 0x3c5:
        if ((s.seq_index & k_seq_index_mask) < k_seq_count)
            s.seq[s.seq_index & k_seq_index_mask] = value;
        break;
    case 0x3c6:
        s.pel_mask = value;
        break;
    case 0x3c7:
        s.dac_read_index = value;
        s.dac_read_component = 0;
        s.dac_reading = true;
        break;
    case 0x3c8:
        s.dac_write_index = value;
        s.dac_write_component = 0;
        s.dac_reading = false;
        break;
    case 0x3c9:
        write_dac_data(value);
        break;
    case 0x3ce:
        s.gc_index = value;
        break;
    case 0x3cf:
        if ((s.gc_index & k_gc_index_mask) < k_gc_count)
            s.gc[s.gc_index & k_gc_index_mask] = value;
        break;
    case 0x3b4:
    case 0x3d4:
        if ((port == 0x3d4) == color_io())
            s.crtc_index = value;
        break;
    case 0x3b5:
    case 0x3d5:
        if ((port == 0x3d5) == color_io())
            write_crtc(value);
        break;
    case 0x3ba:
    case 0x3da:
        if ((port == 0x3da) == color_io())
            s.feature_control = value;
        break;
    default:
        break; // 0x3c3 (video subsystem enable), 0x3cb, 0x3cd and the gaps: nothing to keep
    }
}

void VgaRegisters::write_crtc(uint8_t value)
{
    auto& s = m_state;
    size_t index = s.crtc_index & k_crtc_index_mask;
    if (index >= k_crtc_count)
        return;
    // CRTC register 0x11 bit 7 protects registers 0-7, except the line-compare bit 4 of the
    // overflow register (VGA reference, CRTC "Vertical Retrace End").
    if ((s.crtc[k_crtc_v_retrace_end] & 0x80) && index <= k_crtc_overflow) {
        if (index == k_crtc_overflow)
            s.crtc[index] = static_cast<uint8_t>((s.crtc[index] & ~0x10) | (value & 0x10));
        return;
    }
    s.crtc[index] = value;
}

void VgaRegisters::write_dac_data(uint8_t value)
{
    auto& s = m_state;
    s.palette[size_t { s.dac_write_index } * 3 + s.dac_write_component] = s.dac_8bit ? value : value & 0x3f;
    if (++s.dac_write_component == 3) {
        s.dac_write_component = 0;
        ++s.dac_write_index; // wraps at 256
    }
}

uint8_t VgaRegisters::read_dac_data()
{
    auto& s = m_state;
    uint8_t value = s.palette[size_t { s.dac_read_index } * 3 + s.dac_read_component];
    if (++s.dac_read_component == 3) {
        s.dac_read_component = 0;
        ++s.dac_read_index;
    }
    return value;
}

uint32_t VgaRegisters::dac_color(uint8_t index) const
{
    index &= m_state.pel_mask;
    uint32_t rgb = 0;
    for (size_t c = 0; c < 3; ++c) {
        uint32_t component = m_state.palette[size_t { index } * 3 + c];
        if (!m_state.dac_8bit)
            component = ((component & 0x3f) << 2) | ((component & 0x3f) >> 4);
        rgb = (rgb << 8) | (component & 0xff);
    }
    return rgb;
}

uint8_t VgaRegisters::attribute_to_dac(uint8_t value) const
{
    const auto& s = m_state;
    value &= 0x0f;
    uint8_t entry = s.attr[value];
    uint8_t select = s.attr[k_attr_color_select];
    // Bits 7:6 of the DAC index come from colour select bits 3:2; bits 5:4 from colour select
    // bits 1:0 when mode control bit 7 is set, else from the palette register.
    uint8_t low = (s.attr[k_attr_mode_control] & 0x80) ? static_cast<uint8_t>((entry & 0x0f) | ((select & 3) << 4))
                                                      : static_cast<uint8_t>(entry & 0x3f);
    return static_cast<uint8_t>(low | ((select & 0x0c) << 4));
}

} // namespace vireo
