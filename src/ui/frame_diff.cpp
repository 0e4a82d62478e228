#include "ui/frame_diff.h"

#include "devices/display/pixel_changes.h"

namespace vireo {

void copy_changes(std::span<const uint32_t> next, std::span<uint32_t> shown, uint32_t width, const PixelRect& rect,
    std::vector<PixelRect>& changed)
{
    ChangedRows rows(changed);
    for (uint32_t row = rect.y; row < rect.y + rect.height; ++row) {
        size_t start = size_t { row } * width + rect.x;
        ColumnSpan columns = store_changed_pixels(next.data() + start, shown.data() + start, rect.width);
        if (!columns.empty())
            columns = ColumnSpan { rect.x + columns.left, rect.x + columns.right };
        rows.row(row, columns);
    }
    rows.close();
}

} // namespace vireo
