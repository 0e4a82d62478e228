// Fuzz target for the VNC server's scroll search (ui/scroll_finder) and the pixel diff after it
// (ui/frame_diff), which read the guest's pixels: two frames drawn from the input, the second
// partly the first shifted (so that scrolls are there to find), and a dirty area. Bugs: a crash
// or sanitizer report; a band outside the area or the frame, or whose source rows leave the
// area; a band row that is not the shown row it names; after the band is moved and the rest
// diffed as the server does, a pixel of the area that differs from the next frame.
//
// Input: width-1 and height-1 (a byte each, so up to 256x256), the area (x, y, width, height: a
// byte each), the shift (a signed byte) and the rows it covers (two bytes), a palette of 4
// colours (16 bytes), then pixels of the shown frame as 2-bit palette indices; the next frame is
// the shown one with the rows moved, then overwritten from the rest of the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_reader.h"
#include "ui/scroll_finder.h"

using namespace vireo;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::Reader in(data, size);
    const uint32_t width = uint32_t { in.byte() } + 1;
    const uint32_t height = uint32_t { in.byte() } + 1;
    DirtyRect area { in.byte(), in.byte(), in.byte(), in.byte() };
    area.x = std::min(area.x, width - 1);
    area.y = std::min(area.y, height - 1);
    area.width = std::min(area.width, width - area.x);
    area.height = std::min(area.height, height - area.y);
    const auto shift = static_cast<int8_t>(in.byte());
    const uint32_t moved_top = in.byte() % height;
    const uint32_t moved_rows = in.byte();
    uint32_t palette[4];
    for (auto& colour : palette)
        colour = in.u32() & 0xffffff;

    const size_t pixels = size_t { width } * height;
    std::vector<uint32_t> shown(pixels);
    for (size_t i = 0; i < pixels; i += 4) {
        uint8_t indices = in.byte();
        for (size_t j = i; j < std::min(i + 4, pixels); ++j, indices >>= 2)
            shown[j] = palette[indices & 3];
    }
    std::vector<uint32_t> next = shown;
    for (uint32_t y = moved_top; y < std::min(height, moved_top + moved_rows); ++y) {
        int64_t source = int64_t { y } + shift;
        if (source >= 0 && source < height)
            std::copy_n(&shown[size_t(source) * width], width, &next[size_t { y } * width]);
    }
    for (size_t i = 0; !in.done() && i < pixels; ++i) {
        uint8_t op = in.byte();
        if (op & 0x80)
            next[(i * 7919 + op) % pixels] = palette[op & 3];
    }

    auto band = find_scroll(next, shown, width, height, area);
    if (band) {
        const auto& rect = band->rect;
        if (band->shift == 0 || rect.x != area.x || rect.width != area.width || rect.y < area.y
            || rect.y + rect.height > area.y + area.height || int64_t { rect.y } + band->shift < area.y
            || int64_t { rect.y } + rect.height + band->shift > int64_t { area.y } + area.height)
            __builtin_trap();
        for (uint32_t y = rect.y; y < rect.y + rect.height; ++y) {
            const size_t source = size_t(int64_t { y } + band->shift) * width + rect.x;
            if (!std::equal(&next[size_t { y } * width + rect.x], &next[size_t { y } * width + rect.x + rect.width],
                    &shown[source]))
                __builtin_trap();
        }
    }
    std::vector<DirtyRect> changed;
    if (area.width > 0 && area.height > 0)
        copy_changes_after_scroll(next, shown, width, std::span(&area, 1), band, changed);
    for (uint32_t y = area.y; y < area.y + area.height; ++y) {
        const size_t row = size_t { y } * width + area.x;
        if (!std::equal(&next[row], &next[row + area.width], &shown[row]))
            __builtin_trap();
    }
    return 0;
}
