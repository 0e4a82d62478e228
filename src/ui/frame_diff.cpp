#include "ui/frame_diff.h"

#include <algorithm>
#include <cstring>

namespace vireo {

void copy_changes(std::span<const uint32_t> next, std::span<uint32_t> shown, uint32_t width, const PixelRect& rect,
    std::vector<PixelRect>& changed)
{
    bool open = false;
    PixelRect run;
    uint32_t run_right = 0; // one past the run's rightmost changed column
    auto close_run = [&] {
        if (open) {
            run.width = run_right - run.x;
            changed.push_back(run);
        }
        open = false;
    };
    for (uint32_t row = rect.y; row < rect.y + rect.height; ++row) {
        size_t start = size_t { row } * width + rect.x;
        const uint32_t* from = next.data() + start;
        uint32_t* to = shown.data() + start;
        if (std::memcmp(from, to, size_t { rect.width } * sizeof(uint32_t)) == 0) {
            close_run();
            continue;
        }
        uint32_t left = 0;
        while (from[left] == to[left])
            ++left;
        uint32_t right = rect.width;
        while (from[right - 1] == to[right - 1])
            --right;
        std::memcpy(to + left, from + left, size_t { right - left } * sizeof(uint32_t));
        uint32_t x0 = rect.x + left;
        uint32_t x1 = rect.x + right;
        if (!open) {
            open = true;
            run = PixelRect { .x = x0, .y = row, .width = 0, .height = 0 };
            run_right = x1;
        } else {
            run.x = std::min(run.x, x0);
            run_right = std::max(run_right, x1);
        }
        run.height = row - run.y + 1;
    }
    close_run();
}

} // namespace vireo
