#include "devices/display/bochs_dispi.h"

#include <algorithm>

namespace vireo {

using namespace dispi;

namespace {
bool valid_bpp(uint16_t bpp)
{
    return bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}
} // namespace

BochsDispi::BochsDispi(uint64_t vram_size)
    : m_vram_size(vram_size)
{
    m_state.regs[k_index_id] = k_id5;
    m_state.regs[k_index_xres] = 640;
    m_state.regs[k_index_yres] = 480;
    m_state.regs[k_index_bpp] = 8;
}

uint16_t BochsDispi::read(uint16_t index) const
{
    if (m_state.getcaps) {
        // GETCAPS: XRES/YRES/BPP read the largest values the interface takes.
        if (index == k_index_xres)
            return k_max_xres;
        if (index == k_index_yres)
            return k_max_yres;
        if (index == k_index_bpp)
            return k_max_bpp;
    }
    if (index == k_index_video_memory_64k)
        return static_cast<uint16_t>(std::min<uint64_t>(m_vram_size >> 16, 0xffff));
    if (index == k_index_enable)
        return static_cast<uint16_t>(m_state.regs[index] | (m_state.getcaps ? k_getcaps : 0));
    return index < k_register_count ? m_state.regs[index] : 0;
}

uint64_t BochsDispi::line_bytes() const
{
    return uint64_t { m_state.regs[k_index_virt_width] } * bytes_per_pixel(m_state.regs[k_index_bpp]);
}

void BochsDispi::fix_up_on_enable()
{
    auto& r = m_state.regs;
    if (!valid_bpp(r[k_index_bpp]))
        r[k_index_bpp] = 8;
    r[k_index_xres] = std::clamp<uint16_t>(r[k_index_xres], 1, k_max_xres);
    r[k_index_yres] = std::clamp<uint16_t>(r[k_index_yres], 1, k_max_yres);
    r[k_index_virt_width] = r[k_index_xres];
    const uint64_t lines = m_vram_size / line_bytes();
    if (r[k_index_yres] > lines)
        r[k_index_yres] = static_cast<uint16_t>(lines);
    r[k_index_virt_height] = static_cast<uint16_t>(std::min<uint64_t>(lines, 0xffff));
    r[k_index_x_offset] = 0;
    r[k_index_y_offset] = 0;
    r[k_index_bank] = 0;
}

// Keeps the visible window inside the virtual screen and the virtual screen inside memory.
void BochsDispi::clamp_offsets()
{
    auto& r = m_state.regs;
    r[k_index_x_offset] = std::min<uint16_t>(r[k_index_x_offset], static_cast<uint16_t>(r[k_index_virt_width] - r[k_index_xres]));
    const uint64_t lines = m_vram_size / line_bytes();
    const uint64_t max_y = lines > r[k_index_yres] ? lines - r[k_index_yres] : 0;
    // The last visible line must end inside memory, offset in x included.
    uint64_t y = std::min<uint64_t>(r[k_index_y_offset], max_y);
    const uint64_t bpp_bytes = bytes_per_pixel(r[k_index_bpp]);
    while (y > 0 && (y + r[k_index_yres]) * line_bytes() + r[k_index_x_offset] * bpp_bytes > m_vram_size)
        --y;
    r[k_index_y_offset] = static_cast<uint16_t>(y);
}

BochsDispi::WriteEffect BochsDispi::write(uint16_t index, uint16_t value)
{
    auto& r = m_state.regs;
    WriteEffect effect;
    switch (index) {
    case k_index_id:
        if (value >= k_id0 && value <= k_id5)
            r[index] = value;
        break;
    case k_index_xres:
    case k_index_yres:
    case k_index_bpp:
        // The mode's geometry changes only while the extension is off (Bochs).
        if (!enabled())
            r[index] = value;
        break;
    case k_index_enable: {
        const bool was_enabled = enabled();
        m_state.getcaps = value & k_getcaps;
        const uint16_t kept = value & (k_enabled | k_8bit_dac | k_lfb_enabled | k_noclearmem);
        if ((value & k_enabled) && !was_enabled) {
            fix_up_on_enable();
            if (!(value & k_noclearmem))
                effect.clear_bytes = line_bytes() * r[k_index_yres];
        }
        r[index] = kept;
        effect.mode_changed = true;
        break;
    }
    case k_index_bank:
        // A bank past the end of video memory selects nothing new: the write is dropped.
        if (uint64_t { value } * 64 * 1024 < m_vram_size)
            r[index] = value;
        break;
    case k_index_virt_width: {
        if (!enabled()) {
            r[index] = value;
            break;
        }
        const uint64_t width = std::max(value, r[k_index_xres]);
        const uint64_t bytes = width * bytes_per_pixel(r[k_index_bpp]);
        if (bytes * r[k_index_yres] > m_vram_size)
            break; // not even the visible lines would fit: ignored
        r[index] = static_cast<uint16_t>(width);
        r[k_index_virt_height] = static_cast<uint16_t>(std::min<uint64_t>(m_vram_size / bytes, 0xffff));
        clamp_offsets();
        effect.mode_changed = true;
        break;
    }
    case k_index_virt_height: {
        if (!enabled()) {
            r[index] = value;
            break;
        }
        const uint64_t low = r[k_index_yres];
        const uint64_t high = std::max(low, std::min<uint64_t>(m_vram_size / line_bytes(), 0xffff));
        r[index] = static_cast<uint16_t>(std::clamp<uint64_t>(value, low, high));
        break;
    }
    case k_index_x_offset:
    case k_index_y_offset:
        r[index] = value;
        if (enabled()) {
            clamp_offsets();
            effect.mode_changed = true;
        }
        break;
    default:
        break; // VIDEO_MEMORY_64K is read-only; there is nothing past it
    }
    return effect;
}

BochsDispi::Mode BochsDispi::mode() const
{
    const auto& r = m_state.regs;
    Mode mode;
    mode.enabled = enabled();
    if (!mode.enabled)
        return mode;
    mode.width = r[k_index_xres];
    mode.height = r[k_index_yres];
    mode.bpp = r[k_index_bpp];
    mode.stride = line_bytes();
    mode.start = uint64_t { r[k_index_y_offset] } * mode.stride + uint64_t { r[k_index_x_offset] } * bytes_per_pixel(mode.bpp);
    mode.dac_8bit = r[k_index_enable] & k_8bit_dac;
    return mode;
}

std::optional<uint64_t> BochsDispi::bank_base() const
{
    if (!enabled())
        return std::nullopt;
    return uint64_t { m_state.regs[k_index_bank] } * 64 * 1024;
}

} // namespace vireo
