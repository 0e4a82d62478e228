#pragma once
// Graphics modes: the VGA's planar 16-colour modes (a pixel's four bits from the four planes,
// through the attribute controller and the DAC), its 256-colour modes (mode 13h, chain-4 or
// unchained: a byte per pixel through the DAC), the CGA-compatible 4-colour modes (shift
// register interleave: 2-bit pixels from planes 0 and 1) and CGA addressing (odd scan lines
// 8 KiB further, modes 4-6), and the Bochs DISPI linear modes at 8, 15, 16, 24 and 32 bits per
// pixel. A line is looked at when a page of video memory it shows is dirty.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "devices/display/bochs_dispi.h"
#include "devices/display/display_surface.h"
#include "devices/display/page_bitmap.h"
#include "devices/display/vga_registers.h"

namespace vireo {

struct GraphicsLayout {
    enum class Kind { Planar16, Indexed256, Cga4, Linear };
    Kind kind = Kind::Planar16;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t bpp = 8;     // Linear: 8, 15, 16, 24 or 32
    uint64_t start = 0;   // video memory byte of the first pixel
    uint64_t stride = 0;  // bytes from one line to the next
    uint64_t wrap = 0;    // VGA modes: addresses wrap at the 256 KiB of planes (0: no wrap)
    uint32_t row_lines = 1; // CGA addressing: scan lines per character row (else 1)
    uint64_t odd_bank = 0;  // CGA addressing: where a row's odd scan line starts (bytes past the even one)
    bool operator==(const GraphicsLayout&) const = default;

    // Video memory byte where line y starts (before wrapping).
    [[nodiscard]] uint64_t line_start(uint32_t y) const
    {
        return start + uint64_t { y / row_lines } * stride + ((y % row_lines) & 1) * odd_bank;
    }

    // Bytes of video memory one line shows.
    [[nodiscard]] uint64_t line_bytes() const;
};

// The VGA graphics layout the registers describe; no value when it is empty.
[[nodiscard]] std::optional<GraphicsLayout> decode_vga_graphics(const VgaRegisters& registers);
// The layout of an enabled DISPI mode.
[[nodiscard]] GraphicsLayout linear_layout(const BochsDispi::Mode& mode);

class GraphicsRenderer {
public:
    // Brings the lines that show dirty pages (all with full) up to date in `surface` (sized to
    // the layout, holding what this renderer drew there last), writing only the pixels that
    // differ, and appends the rectangles of those (pixel_changes.h).
    void render(const GraphicsLayout& layout, const VgaRegisters& registers, std::span<const uint8_t> vram,
        const PageBitmap& dirty, bool full, DisplaySurface& surface, std::vector<DirtyRect>& rects);

private:
    void draw_line(const GraphicsLayout& layout, std::span<const uint8_t> vram, uint32_t y, uint32_t* out) const;

    std::array<uint32_t, 256> m_palette {};
    std::vector<uint32_t> m_line; // a line drawn aside, then stored into the surface where it differs
};

} // namespace vireo
