#pragma once
// Finding a scroll between the frame the VNC clients have and the next one. A console that
// scrolls moves most of the screen up by whole text lines; sent as pixels, each scroll is the
// whole screen again. Found here, the display thread sends it as one CopyRect (RFC 6143 §7.7.2):
// the clients move the band themselves, and only the new lines are sent as pixels.
//
// Only what is found exactly counts: each row of the band is compared whole with the row it came
// from, so the band never moves a pixel that the next frame does not have.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "devices/display/display_surface.h"

namespace vireo {

// Rows of the next frame that are rows of the shown frame `shift` rows further down (a console
// scrolling up: shift > 0) or up (shift < 0), over the columns of `rect`; the source rows are
// inside the area searched too.
struct ScrolledBand {
    DirtyRect rect; // where the band is in the next frame
    int32_t shift = 0;
    friend bool operator==(const ScrolledBand&, const ScrolledBand&) = default;
};

struct ScrollSearch {
    // Bands shorter than this are not worth a CopyRect (a text line is 16 rows high).
    uint32_t min_rows = 8;
    // Areas narrower than this are left to the pixel diff.
    uint32_t min_width = 32;
    // Rows of the area tried as probes (at most 31), each the first row that changed and is not
    // one colour within `probe_scan` rows of the middle, then of the quarters, ...
    uint32_t probes = 3;
    uint32_t probe_scan = 32;
    // Row comparisons allowed per search, as a multiple of the area's height: the cost of a
    // search is bounded whatever the guest draws (a probe that finds nothing costs about twice
    // the area's height; most stop at the first pixel).
    uint32_t budget_per_row = 8;
};

// Looks in `area` of `next` (frames of `width` x `height` pixels, the area inside them) for the
// tallest band it can find that `shown` holds shifted vertically; nothing when there is none of
// at least `search.min_rows` rows.
[[nodiscard]] std::optional<ScrolledBand> find_scroll(std::span<const uint32_t> next, std::span<const uint32_t> shown,
    uint32_t width, uint32_t height, const DirtyRect& area, const ScrollSearch& search = {});

// The rows of `rect` above and below `band`'s rows (for a rectangle inside the band's columns:
// what the band leaves to the pixel diff); a part with no rows has height 0.
[[nodiscard]] std::array<DirtyRect, 2> rows_outside(const DirtyRect& rect, const DirtyRect& band);

// Moves the band's rows of `frame` as a client applies the CopyRect: each row of the band takes
// the row `shift` rows from it, over the band's columns (a band as find_scroll found it in a
// frame of this size).
void apply_scroll(std::span<uint32_t> frame, uint32_t width, const ScrolledBand& band);

// What the display thread does with a frame: moves the band (when there is one) in `shown`, then
// copies what else differs inside the `dirty` rectangles (inside the band's columns) with
// copy_changes, appending the rectangles that changed.
void copy_changes_after_scroll(std::span<const uint32_t> next, std::span<uint32_t> shown, uint32_t width,
    std::span<const DirtyRect> dirty, const std::optional<ScrolledBand>& band, std::vector<DirtyRect>& changed);

} // namespace vireo
