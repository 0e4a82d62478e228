// find_scroll / apply_scroll / rows_outside: the scroll the VNC server sends as a CopyRect.
#include <vector>

#include <gtest/gtest.h>

#include "ui/scroll_finder.h"

using namespace vireo;

namespace {

constexpr uint32_t k_width = 128;
constexpr uint32_t k_height = 96;
constexpr uint32_t k_line = 16; // rows of a text line

// A console's screen: text line `line` drawn as glyph-like dots on its first 12 rows, the rest of
// each line blank (rows of one colour, as between lines of text).
uint32_t console_pixel(uint32_t x, uint32_t y, uint32_t first_line)
{
    uint32_t line = first_line + y / k_line;
    uint32_t row = y % k_line;
    if (row >= 12)
        return 0x000000;
    uint32_t seed = (x / 2) * 2654435761u ^ (line * 40503u + row) * 2246822519u;
    return ((seed >> 13) % 3 == 0) ? 0xaaaaaa : 0x000000;
}

std::vector<uint32_t> console(uint32_t first_line)
{
    std::vector<uint32_t> frame(size_t { k_width } * k_height);
    for (uint32_t y = 0; y < k_height; ++y) {
        for (uint32_t x = 0; x < k_width; ++x)
            frame[size_t { y } * k_width + x] = console_pixel(x, y, first_line);
    }
    return frame;
}

const DirtyRect k_screen { 0, 0, k_width, k_height };

// What the VNC server does with a frame: the band moved, the rest diffed; returns the pixels
// that went out as pixels.
uint64_t send(const std::vector<uint32_t>& next, std::vector<uint32_t>& shown, const DirtyRect& dirty,
    const std::optional<ScrolledBand>& band)
{
    std::vector<DirtyRect> changed;
    copy_changes_after_scroll(next, shown, k_width, std::span(&dirty, 1), band, changed);
    uint64_t area = 0;
    for (const auto& rect : changed)
        area += uint64_t { rect.width } * rect.height;
    return area;
}

} // namespace

TEST(ScrollFinder, AConsoleScrolledByALineIsOneBandAndOneNewLine)
{
    auto shown = console(0);
    auto next = console(1); // every line moved up by one; a new line at the bottom
    auto band = find_scroll(next, shown, k_width, k_height, k_screen);
    ASSERT_TRUE(band);
    EXPECT_EQ(band->shift, int32_t(k_line));
    EXPECT_EQ(band->rect, (DirtyRect { 0, 0, k_width, k_height - k_line }));
    uint64_t sent = send(next, shown, k_screen, band);
    EXPECT_EQ(shown, next);
    EXPECT_LE(sent, uint64_t { k_width } * k_line) << "only the new line goes as pixels";
}

TEST(ScrollFinder, SeveralLinesAtOnce)
{
    auto shown = console(0);
    auto next = console(3);
    auto band = find_scroll(next, shown, k_width, k_height, k_screen);
    ASSERT_TRUE(band);
    EXPECT_EQ(band->shift, int32_t(3 * k_line));
    EXPECT_EQ(band->rect.height, k_height - 3 * k_line);
    send(next, shown, k_screen, band);
    EXPECT_EQ(shown, next);
}

TEST(ScrollFinder, ScrollingDownIsANegativeShift)
{
    auto shown = console(2);
    auto next = console(1); // `less` going back a line
    auto band = find_scroll(next, shown, k_width, k_height, k_screen);
    ASSERT_TRUE(band);
    EXPECT_EQ(band->shift, -int32_t(k_line));
    EXPECT_EQ(band->rect, (DirtyRect { 0, k_line, k_width, k_height - k_line }));
    send(next, shown, k_screen, band);
    EXPECT_EQ(shown, next);
}

TEST(ScrollFinder, AStatusLineThatStaysIsLeftOut)
{
    // An editor: lines 0-4 scroll, line 5 (the status line) stays as it was.
    auto shown = console(0);
    auto next = console(1);
    const size_t status = size_t { 5 } * k_line * k_width;
    std::copy(shown.begin() + status, shown.end(), next.begin() + status);
    auto band = find_scroll(next, shown, k_width, k_height, k_screen);
    ASSERT_TRUE(band);
    EXPECT_EQ(band->shift, int32_t(k_line));
    EXPECT_LE(band->rect.y + band->rect.height, 5 * k_line);
    EXPECT_GE(band->rect.height, 3 * k_line);
    send(next, shown, k_screen, band);
    EXPECT_EQ(shown, next);
}

TEST(ScrollFinder, OnlyTheAreasColumnsMove)
{
    // A window in the middle scrolls; the columns beside it do not.
    auto shown = console(0);
    auto next = shown;
    auto moved = console(1);
    const DirtyRect window { 32, 0, 64, k_height };
    for (uint32_t y = 0; y < k_height; ++y) {
        for (uint32_t x = window.x; x < window.x + window.width; ++x)
            next[size_t { y } * k_width + x] = moved[size_t { y } * k_width + x];
    }
    auto band = find_scroll(next, shown, k_width, k_height, window);
    ASSERT_TRUE(band);
    EXPECT_EQ(band->rect.x, window.x);
    EXPECT_EQ(band->rect.width, window.width);
    send(next, shown, k_screen, band);
    EXPECT_EQ(shown, next);
}

TEST(ScrollFinder, NoiseHasNoBand)
{
    std::vector<uint32_t> shown(size_t { k_width } * k_height);
    std::vector<uint32_t> next(shown.size());
    uint32_t state = 1;
    for (auto* frame : { &shown, &next }) {
        for (auto& pixel : *frame) {
            state = state * 1664525u + 1013904223u;
            pixel = state >> 8;
        }
    }
    EXPECT_FALSE(find_scroll(next, shown, k_width, k_height, k_screen));
}

TEST(ScrollFinder, UnchangedAndBlankFramesHaveNoBand)
{
    auto shown = console(0);
    EXPECT_FALSE(find_scroll(shown, shown, k_width, k_height, k_screen));
    std::vector<uint32_t> blank(shown.size(), 0x000000);
    EXPECT_FALSE(find_scroll(blank, shown, k_width, k_height, k_screen));
}

TEST(ScrollFinder, SmallAreasAndAreasOutsideTheFrameAreLeftAlone)
{
    auto shown = console(0);
    auto next = console(1);
    EXPECT_FALSE(find_scroll(next, shown, k_width, k_height, DirtyRect { 0, 0, 8, k_height }));
    EXPECT_FALSE(find_scroll(next, shown, k_width, k_height, DirtyRect { 0, 0, k_width, 4 }));
    EXPECT_FALSE(find_scroll(next, shown, k_width, k_height, DirtyRect { 0, 0, k_width + 1, k_height }));
    EXPECT_FALSE(find_scroll(next, shown, k_width, k_height, DirtyRect { 0, 1, k_width, k_height }));
    EXPECT_FALSE(find_scroll(std::span(next).first(100), shown, k_width, k_height, k_screen));
}

TEST(ScrollFinder, TheBudgetBoundsTheSearch)
{
    // Moved by two lines: the probe tries about 64 sources before the right one, then compares
    // the 64 rows of the band.
    auto shown = console(0);
    auto next = console(2);
    ScrollSearch search;
    auto whole = find_scroll(next, shown, k_width, k_height, k_screen, search);
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->rect.height, k_height - 2 * k_line);
    search.budget_per_row = 1; // 96 comparisons: the band is cut short
    auto cut = find_scroll(next, shown, k_width, k_height, k_screen, search);
    ASSERT_TRUE(cut);
    EXPECT_LT(cut->rect.height, whole->rect.height);
    search.budget_per_row = 0;
    EXPECT_FALSE(find_scroll(next, shown, k_width, k_height, k_screen, search));
}

TEST(ScrollFinder, RowsOutsideABand)
{
    const DirtyRect band { 0, 20, 64, 40 };
    auto parts = rows_outside(DirtyRect { 4, 10, 8, 60 }, band);
    EXPECT_EQ(parts[0], (DirtyRect { 4, 10, 8, 10 }));
    EXPECT_EQ(parts[1], (DirtyRect { 4, 60, 8, 10 }));
    parts = rows_outside(DirtyRect { 4, 30, 8, 10 }, band); // inside
    EXPECT_EQ(parts[0].height, 0u);
    EXPECT_EQ(parts[1].height, 0u);
    parts = rows_outside(DirtyRect { 4, 0, 8, 10 }, band); // above
    EXPECT_EQ(parts[0], (DirtyRect { 4, 0, 8, 10 }));
    EXPECT_EQ(parts[1].height, 0u);
    parts = rows_outside(DirtyRect { 4, 70, 8, 5 }, band); // below
    EXPECT_EQ(parts[0].height, 0u);
    EXPECT_EQ(parts[1], (DirtyRect { 4, 70, 8, 5 }));
}
