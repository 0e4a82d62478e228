#include "ui/scroll_finder.h"

#include <algorithm>
#include <cstring>

#include "ui/frame_diff.h"

namespace vireo {

namespace {

bool same_pixels(const uint32_t* a, const uint32_t* b, uint32_t count)
{
    return std::memcmp(a, b, size_t { count } * sizeof(uint32_t)) == 0;
}

bool one_colour(const uint32_t* row, uint32_t count)
{
    return std::all_of(row, row + count, [first = row[0]](uint32_t pixel) { return pixel == first; });
}

// Rows of the two frames over the area's columns, and what comparing them may still cost.
class RowComparer {
public:
    RowComparer(std::span<const uint32_t> next, std::span<const uint32_t> shown, uint32_t width, const DirtyRect& area,
        uint64_t budget)
        : m_next(next)
        , m_shown(shown)
        , m_width(width)
        , m_area(area)
        , m_budget(budget)
    {
    }
    [[nodiscard]] bool spent() const { return m_budget == 0; }
    [[nodiscard]] const uint32_t* next_row(uint32_t y) const { return m_next.data() + size_t { y } * m_width + m_area.x; }
    // Whether row y of the next frame is row `source` of the shown frame (false once spent).
    bool same(uint32_t y, uint32_t source)
    {
        if (m_budget == 0)
            return false;
        --m_budget;
        return same_pixels(next_row(y), m_shown.data() + size_t { source } * m_width + m_area.x, m_area.width);
    }

private:
    std::span<const uint32_t> m_next;
    std::span<const uint32_t> m_shown;
    uint32_t m_width;
    DirtyRect m_area;
    uint64_t m_budget;
};

// The band through row y that shifting by `shift` gives, grown up and down while rows match and
// their sources stay in the area (y itself is known to match).
DirtyRect grow_band(RowComparer& rows, const DirtyRect& area, uint32_t y, int64_t shift)
{
    const int64_t area_bottom = int64_t { area.y } + area.height;
    uint32_t top = y;
    uint32_t bottom = y + 1;
    while (top > area.y && int64_t { top } - 1 + shift >= area.y && rows.same(top - 1, uint32_t(top - 1 + shift)))
        --top;
    while (bottom < area_bottom && bottom + shift < area_bottom && rows.same(bottom, uint32_t(bottom + shift)))
        ++bottom;
    return DirtyRect { area.x, top, area.width, bottom - top };
}

// Where the i-th probe starts, as a fraction of the area's height: 1/2, then 1/4 and 3/4, then
// the eighths between, ... (a band that covers much of the area is met early).
uint32_t probe_start(const DirtyRect& area, uint32_t i)
{
    uint32_t level = 0;
    while ((2u << level) <= i + 1)
        ++level;
    const uint64_t index = i + 1 - (1u << level);
    return area.y + static_cast<uint32_t>(uint64_t { area.height } * (2 * index + 1) >> (level + 1));
}

} // namespace

std::optional<ScrolledBand> find_scroll(std::span<const uint32_t> next, std::span<const uint32_t> shown,
    uint32_t width, uint32_t height, const DirtyRect& area, const ScrollSearch& search)
{
    const size_t pixels = size_t { width } * height;
    if (next.size() < pixels || shown.size() < pixels || area.width < std::max(search.min_width, 1u)
        || area.height < std::max(search.min_rows, 1u) || area.x > width || area.width > width - area.x
        || area.y > height || area.height > height - area.y)
        return std::nullopt;
    RowComparer rows(next, shown, width, area, uint64_t { area.height } * search.budget_per_row);
    const uint32_t area_bottom = area.y + area.height;
    auto in_best = [](const std::optional<ScrolledBand>& best, uint32_t y) {
        return best && y >= best->rect.y && y < best->rect.y + best->rect.height;
    };
    std::optional<ScrolledBand> best;
    for (uint32_t i = 0; i < search.probes && i < 31 && !rows.spent(); ++i) {
        // The probe: the first row from its start down that changed and is not one colour (an
        // unchanged or blank row matches anywhere, and says nothing).
        std::optional<uint32_t> probe;
        const uint32_t start = probe_start(area, i);
        for (uint32_t y = start; y < area_bottom && y < start + search.probe_scan; ++y) {
            if (in_best(best, y))
                break; // it would find the same band
            if (!rows.same(y, y) && !one_colour(rows.next_row(y), area.width)) {
                probe = y;
                break;
            }
        }
        if (!probe)
            continue;
        const uint32_t y = *probe;
        // The nearest source first (a console scrolls by a line or a few), inside the area: a
        // scrolling region is dirty all over.
        for (int64_t distance = 1; distance < area.height && !rows.spent(); ++distance) {
            bool found = false;
            for (int64_t shift : { distance, -distance }) {
                int64_t source = int64_t { y } + shift;
                if (source < area.y || source >= area_bottom || !rows.same(y, uint32_t(source)))
                    continue;
                DirtyRect band = grow_band(rows, area, y, shift);
                if (band.height >= search.min_rows) {
                    if (!best || band.height > best->rect.height)
                        best = ScrolledBand { band, static_cast<int32_t>(shift) };
                    found = true;
                    break;
                }
            }
            if (found)
                break;
        }
    }
    return best;
}

std::array<DirtyRect, 2> rows_outside(const DirtyRect& rect, const DirtyRect& band)
{
    const uint32_t bottom = rect.y + rect.height;
    const uint32_t band_bottom = band.y + band.height;
    const uint32_t above_end = std::min(bottom, std::max(rect.y, band.y));
    const uint32_t below_start = std::max(rect.y, std::min(bottom, band_bottom));
    return { DirtyRect { rect.x, rect.y, rect.width, above_end - rect.y },
        DirtyRect { rect.x, below_start, rect.width, bottom - below_start } };
}

void apply_scroll(std::span<uint32_t> frame, uint32_t width, const ScrolledBand& band)
{
    const auto& rect = band.rect;
    auto move_row = [&](uint32_t y) {
        const size_t to = size_t { y } * width + rect.x;
        const size_t from = size_t(int64_t { y } + band.shift) * width + rect.x;
        std::memcpy(frame.data() + to, frame.data() + from, size_t { rect.width } * sizeof(uint32_t));
    };
    // Rows come from below when shift > 0: top to bottom reads each before it is overwritten.
    if (band.shift > 0) {
        for (uint32_t y = rect.y; y < rect.y + rect.height; ++y)
            move_row(y);
    } else {
        for (uint32_t y = rect.y + rect.height; y-- > rect.y;)
            move_row(y);
    }
}

void copy_changes_after_scroll(std::span<const uint32_t> next, std::span<uint32_t> shown, uint32_t width,
    std::span<const DirtyRect> dirty, const std::optional<ScrolledBand>& band, std::vector<DirtyRect>& changed)
{
    if (band)
        apply_scroll(shown, width, *band);
    for (const auto& rect : dirty) {
        if (!band) {
            copy_changes(next, shown, width, rect, changed);
            continue;
        }
        for (const auto& part : rows_outside(rect, band->rect)) {
            if (part.height > 0)
                copy_changes(next, shown, width, part, changed);
        }
    }
}

} // namespace vireo
