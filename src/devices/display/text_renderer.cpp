#include "devices/display/text_renderer.h"

#include <algorithm>
#include <optional>

namespace vireo {

using namespace vga;

namespace {

constexpr uint32_t k_plane_mask = 0xffff; // plane addresses wrap at 64 KiB
constexpr uint32_t k_glyph_bytes = 32;
constexpr uint32_t k_font_bytes = 256 * k_glyph_bytes;
constexpr uint32_t k_max_columns = 256;
constexpr uint32_t k_max_rows = 256;

// Character map number 0-7 -> plane-2 address: 16 KiB steps for the low two bits, 8 KiB for
// the high one (sequencer register 3).
uint32_t font_address(uint32_t map)
{
    return (map & 3) * 0x4000 + (map >> 2) * 0x2000;
}

uint8_t plane_byte(std::span<const uint8_t> vram, uint32_t plane_address, uint32_t plane)
{
    return vram[size_t { plane_address & k_plane_mask } * 4 + plane];
}

} // namespace

std::optional<TextLayout> decode_text_layout(const VgaRegisters& r)
{
    TextLayout layout;
    layout.columns = std::min<uint32_t>(r.crtc(k_crtc_h_display_end) + 1u, k_max_columns);
    layout.char_width = (r.seq(k_seq_clocking) & 1) ? 8 : 9;
    layout.char_height = (r.crtc(k_crtc_max_scan_line) & 0x1f) + 1u;
    const uint8_t overflow = r.crtc(k_crtc_overflow);
    uint32_t lines = r.crtc(k_crtc_v_display_end) + ((overflow & 0x02) ? 0x100u : 0u) + ((overflow & 0x40) ? 0x200u : 0u) + 1;
    if (r.crtc(k_crtc_max_scan_line) & 0x80)
        lines /= 2; // double scanning
    layout.rows = std::min(lines / layout.char_height, k_max_rows);
    layout.start = (uint32_t { r.crtc(k_crtc_start_high) } << 8) | r.crtc(k_crtc_start_low);
    layout.line_cells = uint32_t { r.crtc(k_crtc_offset) } * 2;
    const uint8_t map_select = r.seq(k_seq_char_map);
    layout.font_a = font_address(((map_select >> 5) & 1) << 2 | ((map_select >> 2) & 3));
    layout.font_b = font_address(((map_select >> 4) & 1) << 2 | (map_select & 3));
    layout.line_graphics = r.attr(k_attr_mode_control) & 0x04;
    layout.blink = r.attr(k_attr_mode_control) & 0x08;
    if (layout.columns == 0 || layout.rows == 0)
        return std::nullopt;
    return layout;
}

TextCursor decode_text_cursor(const VgaRegisters& r)
{
    TextCursor cursor;
    const uint8_t start = r.crtc(k_crtc_cursor_start);
    cursor.enabled = !(start & 0x20);
    cursor.first_line = start & 0x1f;
    cursor.last_line = r.crtc(k_crtc_cursor_end) & 0x1f;
    cursor.address = (uint32_t { r.crtc(k_crtc_cursor_high) } << 8) | r.crtc(k_crtc_cursor_low);
    return cursor;
}

void TextRenderer::render(const TextLayout& layout, const TextCursor& cursor, const VgaRegisters& registers,
    std::span<const uint8_t> vram, bool cursor_on, bool blink_on, bool full, DisplaySurface& surface,
    std::vector<DirtyRect>& rects)
{
    std::array<uint32_t, 16> palette;
    for (uint8_t i = 0; i < 16; ++i)
        palette[i] = registers.dac_color(registers.attribute_to_dac(i));
    if (palette != m_palette) {
        m_palette = palette;
        full = true;
    }
    // Both character maps as plane 2 holds them: a changed glyph redraws the screen.
    std::vector<uint8_t> font(size_t { k_font_bytes } * 2);
    for (uint32_t i = 0; i < k_font_bytes; ++i) {
        font[i] = plane_byte(vram, layout.font_a + i, 2);
        font[k_font_bytes + i] = plane_byte(vram, layout.font_b + i, 2);
    }
    if (font != m_font) {
        m_font = std::move(font);
        full = true;
    }
    const size_t cells = size_t { layout.columns } * layout.rows;
    if (full || m_cells.size() != cells)
        m_cells.assign(cells, 0xffff'ffff);

    for (uint32_t row = 0; row < layout.rows; ++row) {
        std::optional<uint32_t> span_start;
        auto close_span = [&](uint32_t end_column) {
            if (!span_start)
                return;
            rects.push_back(DirtyRect { *span_start * layout.char_width, row * layout.char_height,
                (end_column - *span_start) * layout.char_width, layout.char_height });
            span_start.reset();
        };
        for (uint32_t column = 0; column < layout.columns; ++column) {
            const uint32_t address = layout.start + row * layout.line_cells + column;
            const uint8_t code = plane_byte(vram, address, 0);
            const uint8_t attribute = plane_byte(vram, address, 1);
            const bool show_cursor = cursor.enabled && cursor_on && (address & k_plane_mask) == (cursor.address & k_plane_mask);
            const bool blinking = layout.blink && (attribute & 0x80);
            const uint32_t look = uint32_t { code } | uint32_t { attribute } << 8 | (show_cursor ? 1u << 16 : 0u)
                | (blinking && !blink_on ? 1u << 17 : 0u);
            uint32_t& drawn = m_cells[size_t { row } * layout.columns + column];
            if (drawn == look) {
                close_span(column);
                continue;
            }
            drawn = look;
            draw_cell(layout, vram, column, row, code, attribute, show_cursor, cursor, blink_on, surface);
            if (!span_start)
                span_start = column;
        }
        close_span(layout.columns);
    }
}

void TextRenderer::draw_cell(const TextLayout& layout, std::span<const uint8_t> vram, uint32_t column, uint32_t row,
    uint8_t code, uint8_t attribute, bool show_cursor, const TextCursor& cursor, bool blink_on,
    DisplaySurface& surface) const
{
    uint8_t foreground = attribute & 0x0f;
    uint8_t background = attribute >> 4;
    if (layout.blink) {
        background &= 0x07;
        if ((attribute & 0x80) && !blink_on)
            foreground = background;
    }
    const uint32_t fg = m_palette[foreground];
    const uint32_t bg = m_palette[background];
    const uint32_t font = (attribute & 0x08) ? layout.font_a : layout.font_b;
    const bool extend = layout.line_graphics && code >= 0xc0 && code <= 0xdf;
    const uint32_t x0 = column * layout.char_width;
    for (uint32_t line = 0; line < layout.char_height; ++line) {
        uint8_t bits = line < k_glyph_bytes ? plane_byte(vram, font + uint32_t { code } * k_glyph_bytes + line, 2) : 0;
        if (show_cursor && line >= cursor.first_line && line <= cursor.last_line)
            bits = 0xff; // the cursor: scan lines first..last in the foreground colour
        uint32_t* out = surface.row(row * layout.char_height + line) + x0;
        for (uint32_t x = 0; x < 8; ++x)
            out[x] = (bits & (0x80 >> x)) ? fg : bg;
        if (layout.char_width == 9)
            out[8] = ((extend || (show_cursor && bits == 0xff)) && (bits & 1)) ? fg : bg;
    }
}

} // namespace vireo
