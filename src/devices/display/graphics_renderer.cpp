#include "devices/display/graphics_renderer.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "devices/display/pixel_changes.h"
#include "devices/display/vga_memory.h"

namespace vireo {

using namespace vga;

namespace {
constexpr uint32_t k_max_width = 4096;
constexpr uint32_t k_max_height = 2048;

uint32_t expand5(uint32_t v) { return (v << 3) | (v >> 2); }
uint32_t expand6(uint32_t v) { return (v << 2) | (v >> 4); }
} // namespace

uint64_t GraphicsLayout::line_bytes() const
{
    switch (kind) {
    case Kind::Planar16:
    case Kind::Cga4:
        return (uint64_t { width } + 7) / 8 * 4; // a byte of each plane per 8 pixels
    case Kind::Indexed256:
        return width;
    case Kind::Linear:
        return uint64_t { width } * ((bpp + 7) / 8);
    }
    return 0;
}

std::optional<GraphicsLayout> decode_vga_graphics(const VgaRegisters& r)
{
    GraphicsLayout layout;
    const uint8_t mode = r.gc(k_gc_mode);
    const bool indexed = mode & 0x40;
    layout.kind = indexed ? GraphicsLayout::Kind::Indexed256
        : (mode & 0x20)   ? GraphicsLayout::Kind::Cga4
                          : GraphicsLayout::Kind::Planar16;
    // The CRTC counts character clocks of 8 dots; a 256-colour pixel is two dots.
    uint32_t width = (r.crtc(k_crtc_h_display_end) + 1u) * 8;
    if (indexed)
        width /= 2;
    const uint8_t overflow = r.crtc(k_crtc_overflow);
    uint32_t lines = r.crtc(k_crtc_v_display_end) + ((overflow & 0x02) ? 0x100u : 0u) + ((overflow & 0x40) ? 0x200u : 0u) + 1;
    const uint32_t scan_lines = (r.crtc(k_crtc_max_scan_line) & 0x1fu) + 1;
    const uint32_t double_scan = (r.crtc(k_crtc_max_scan_line) & 0x80) ? 2 : 1;
    uint32_t repeat = scan_lines * double_scan; // each line is scanned this often
    if (!(r.crtc(k_crtc_mode_control) & 0x01)) {
        // CGA compatibility (CRTC mode control bit 0 clear): row scan bit 0 replaces memory
        // address bit 13, so a row's scan lines are distinct lines 8 KiB apart, not repeats.
        // (8 KiB of plane addresses; odd/even memory packs two CPU bytes per plane address.)
        repeat = double_scan;
        layout.row_lines = scan_lines;
        layout.odd_bank = (mode & 0x10) ? 0x1000 * 4 : 0x2000 * 4;
    }
    layout.width = std::min(width, k_max_width);
    layout.height = std::min(lines / repeat, k_max_height);
    // In this device's memory layout (vga_memory.h) a CRTC address unit is 4 bytes, and the
    // offset register counts pairs of them.
    const uint32_t start = (uint32_t { r.crtc(k_crtc_start_high) } << 8) | r.crtc(k_crtc_start_low);
    layout.start = uint64_t { start } * 4;
    layout.stride = uint64_t { r.crtc(k_crtc_offset) } * 8;
    layout.wrap = VgaMemory::k_planar_size;
    if (layout.width == 0 || layout.height == 0)
        return std::nullopt;
    return layout;
}

GraphicsLayout linear_layout(const BochsDispi::Mode& mode)
{
    GraphicsLayout layout;
    layout.kind = GraphicsLayout::Kind::Linear;
    layout.width = mode.width;
    layout.height = mode.height;
    layout.bpp = mode.bpp;
    layout.start = mode.start;
    layout.stride = mode.stride;
    return layout;
}

void GraphicsRenderer::render(const GraphicsLayout& layout, const VgaRegisters& registers, std::span<const uint8_t> vram,
    const PageBitmap& dirty, bool full, DisplaySurface& surface, std::vector<DirtyRect>& rects)
{
    std::array<uint32_t, 256> palette;
    if (layout.kind == GraphicsLayout::Kind::Planar16 || layout.kind == GraphicsLayout::Kind::Cga4) {
        palette.fill(0);
        const uint8_t enable = registers.attr(k_attr_plane_enable) & 0x0f;
        for (uint8_t i = 0; i < 16; ++i)
            palette[i] = registers.dac_color(registers.attribute_to_dac(i & enable));
    } else {
        for (uint32_t i = 0; i < 256; ++i)
            palette[i] = registers.dac_color(static_cast<uint8_t>(i));
    }
    const bool uses_palette = !(layout.kind == GraphicsLayout::Kind::Linear && layout.bpp > 8);
    if (uses_palette && palette != m_palette) {
        m_palette = palette;
        full = true;
    }

    const uint64_t line_bytes = layout.line_bytes();
    // 32 bpp is the surface's own format but for the X byte: the lines are compared and copied
    // straight from video memory, with no line drawn aside.
    const bool direct = layout.kind == GraphicsLayout::Kind::Linear && layout.bpp == 32;
    if (!direct && m_line.size() < layout.width)
        m_line.resize(layout.width);
    ChangedRows changed_rows(rects);
    for (uint32_t y = 0; y < layout.height; ++y) {
        bool changed = full;
        const uint64_t offset = layout.line_start(y);
        if (!changed) {
            if (layout.wrap) {
                const uint64_t at = offset % layout.wrap;
                const uint64_t first = std::min(line_bytes, layout.wrap - at);
                changed = dirty.any_in(at, first) || (first < line_bytes && dirty.any_in(0, line_bytes - first));
            } else {
                changed = dirty.any_in(offset, line_bytes);
            }
        }
        if (!changed) {
            changed_rows.close();
            continue;
        }
        // Only the pixels that differ from what the surface holds are written and named: a
        // dirty page names whole lines, and a scrolling console leaves most of their pixels.
        ColumnSpan columns;
        if (direct && offset < vram.size() && line_bytes <= vram.size() - offset) {
            columns = store_changed_xrgb(vram.data() + offset, surface.row(y), layout.width);
        } else {
            draw_line(layout, vram, y, m_line.data());
            columns = store_changed_pixels(m_line.data(), surface.row(y), layout.width);
        }
        changed_rows.row(y, columns);
    }
    changed_rows.close();
}

void GraphicsRenderer::draw_line(const GraphicsLayout& layout, std::span<const uint8_t> vram, uint32_t y,
    uint32_t* out) const
{
    const uint64_t base = layout.line_start(y);
    // A byte of the line, or 0 where the line runs past video memory.
    auto byte_at = [&](uint64_t offset) -> uint8_t {
        uint64_t at = base + offset;
        if (layout.wrap)
            at %= layout.wrap;
        return at < vram.size() ? vram[at] : 0;
    };
    switch (layout.kind) {
    case GraphicsLayout::Kind::Planar16:
        for (uint32_t x = 0; x < layout.width; ++x) {
            const uint64_t group = uint64_t { x / 8 } * 4;
            const uint32_t bit = 7 - (x % 8);
            uint32_t color = 0;
            for (uint32_t plane = 0; plane < 4; ++plane)
                color |= ((byte_at(group + plane) >> bit) & 1u) << plane;
            out[x] = m_palette[color];
        }
        break;
    case GraphicsLayout::Kind::Indexed256:
        for (uint32_t x = 0; x < layout.width; ++x)
            out[x] = m_palette[byte_at(x)];
        break;
    case GraphicsLayout::Kind::Cga4:
        // Per plane address, 8 pixels of 2 bits: 4 from plane 0's byte, then 4 from plane 1's.
        for (uint32_t x = 0; x < layout.width; ++x) {
            const uint64_t group = uint64_t { x / 8 } * 4;
            const uint8_t byte = byte_at(group + (x % 8) / 4);
            out[x] = m_palette[(byte >> (6 - 2 * (x % 4))) & 3];
        }
        break;
    case GraphicsLayout::Kind::Linear: {
        const uint64_t bytes = layout.line_bytes();
        if (base >= vram.size() || bytes > vram.size() - base) {
            std::fill_n(out, layout.width, 0u); // cannot happen with a clamped DISPI mode
            break;
        }
        const uint8_t* in = vram.data() + base;
        // One loop per format (the switch outside: a line is 1024 and more pixels).
        switch (layout.bpp) {
        case 8:
            for (uint32_t x = 0; x < layout.width; ++x)
                out[x] = m_palette[in[x]];
            break;
        case 15:
            for (uint32_t x = 0; x < layout.width; ++x) {
                uint32_t v = in[2 * x] | uint32_t { in[2 * x + 1] } << 8;
                out[x] = expand5((v >> 10) & 31) << 16 | expand5((v >> 5) & 31) << 8 | expand5(v & 31);
            }
            break;
        case 16:
            for (uint32_t x = 0; x < layout.width; ++x) {
                uint32_t v = in[2 * x] | uint32_t { in[2 * x + 1] } << 8;
                out[x] = expand5(v >> 11) << 16 | expand6((v >> 5) & 63) << 8 | expand5(v & 31);
            }
            break;
        case 24:
            for (uint32_t x = 0; x < layout.width; ++x)
                out[x] = uint32_t { in[3 * x + 2] } << 16 | uint32_t { in[3 * x + 1] } << 8 | in[3 * x];
            break;
        default: // 32: B, G, R, unused
            for (uint32_t x = 0; x < layout.width; ++x) {
                uint32_t v;
                std::memcpy(&v, in + 4 * x, 4);
                out[x] = v & 0x00ff'ffff;
            }
            break;
        }
        break;
    }
    }
}

} // namespace vireo
