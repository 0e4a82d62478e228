#pragma once
// Alphanumeric (text) modes: character codes in plane 0, attributes in plane 1, the font in
// plane 2 as the BIOS loaded it (32 bytes per glyph, maps A/B per the sequencer's character
// map select), 8- or 9-dot cells, the attribute controller's palette and blink, and the CRTC's
// cursor. Only the cells whose look changed since the last call are drawn.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "devices/display/display_surface.h"
#include "devices/display/vga_registers.h"

namespace vireo {

// The geometry of a text screen, decoded from the CRTC and sequencer.
struct TextLayout {
    uint32_t columns = 0;
    uint32_t rows = 0;
    uint32_t char_width = 9;   // 8 or 9 dots
    uint32_t char_height = 16; // scan lines per row (1-32)
    uint32_t start = 0;        // first cell's address (CRTC start address, in cells)
    uint32_t line_cells = 0;   // cells from one row to the next (CRTC offset * 2)
    uint32_t font_a = 0;       // plane-2 address of character map A (attribute bit 3 set)
    uint32_t font_b = 0;       // and of map B
    bool line_graphics = false; // 9th dot of 0xC0-0xDF repeats the 8th
    bool blink = false;         // attribute bit 7 blinks (else bright background)
    bool operator==(const TextLayout&) const = default;

    [[nodiscard]] uint32_t width() const { return columns * char_width; }
    [[nodiscard]] uint32_t height() const { return rows * char_height; }
};

struct TextCursor {
    bool enabled = false;
    uint32_t address = 0; // in cells, like the start address
    uint32_t first_line = 0;
    uint32_t last_line = 0;
};

// The text layout the registers describe; no value when it is empty (0 rows or columns).
[[nodiscard]] std::optional<TextLayout> decode_text_layout(const VgaRegisters& registers);
[[nodiscard]] TextCursor decode_text_cursor(const VgaRegisters& registers);

class TextRenderer {
public:
    // Draws the cells that changed into `surface` (already sized to layout.width() x height())
    // and appends their rectangles to `rects`. full: redraw every cell. cursor_on and blink_on:
    // the phases of the cursor and of blinking characters.
    void render(const TextLayout& layout, const TextCursor& cursor, const VgaRegisters& registers,
        std::span<const uint8_t> vram, bool cursor_on, bool blink_on, bool full, DisplaySurface& surface,
        std::vector<DirtyRect>& rects);

private:
    void draw_cell(const TextLayout& layout, std::span<const uint8_t> vram, uint32_t column, uint32_t row, uint8_t code,
        uint8_t attribute, bool show_cursor, const TextCursor& cursor, bool blink_on, DisplaySurface& surface) const;

    std::array<uint32_t, 16> m_palette {};
    std::vector<uint8_t> m_font; // both maps as last drawn
    std::vector<uint32_t> m_cells; // per cell: what was drawn (code, attribute, cursor, blink)
};

} // namespace vireo
