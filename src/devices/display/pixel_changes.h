#pragma once
// Storing a line into a surface row so that only the pixels that differ are written, and
// gathering the changed rows into rectangles: runs of consecutive changed rows, each as wide as
// its changed columns (the shape ui/frame_diff reports too). A renderer that draws this way
// names exactly what changed since its last draw into the same surface: a dirty page rewritten
// with the same pixels (a scrolling console leaves most of them so) names nothing.
#include <cstdint>
#include <vector>

#include "devices/display/display_surface.h"

namespace vireo {

// Columns [left, right) of a row; empty when left == right.
struct ColumnSpan {
    uint32_t left = 0;
    uint32_t right = 0;
    [[nodiscard]] bool empty() const { return left >= right; }
};

// Copies `count` pixels of `from` into `to` from the first pixel that differs to the last, and
// returns that span (empty: the row was the same, nothing written).
ColumnSpan store_changed_pixels(const uint32_t* from, uint32_t* to, uint32_t count);

// The same from 32-bit B, G, R, X pixels in guest memory (a DISPI 32 bpp line; `from` need not
// be aligned), the X byte cleared as the surface's format has it. Guest memory may change while
// this reads it: each pixel is read as a whole, once to compare and once to copy, and nothing
// depends on the two reads agreeing; a pixel the guest wrote meanwhile may land torn or not at
// all, and the dirty log names its page again at the next refresh.
ColumnSpan store_changed_xrgb(const uint8_t* from, uint32_t* to, uint32_t count);

// Gathers rows in increasing order into rectangles appended to `out`; close() after the last.
class ChangedRows {
public:
    explicit ChangedRows(std::vector<DirtyRect>& out)
        : m_out(out)
    {
    }
    ChangedRows(const ChangedRows&) = delete;
    ChangedRows& operator=(const ChangedRows&) = delete;

    // Row y changed in `columns` (nothing, when empty: the run so far ends).
    void row(uint32_t y, ColumnSpan columns);
    // Ends the run so far (a row skipped, or the last one).
    void close();

private:
    std::vector<DirtyRect>& m_out;
    bool m_open = false;
    DirtyRect m_run;
    uint32_t m_right = 0;
};

} // namespace vireo
