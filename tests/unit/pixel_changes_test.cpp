// Storing a line into a surface row where it differs (devices/display/pixel_changes.h): the span
// found at every position of the 8-pixel blocks and the tail, the X byte of guest pixels, an
// unaligned guest line, and the rows gathered into rectangles.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "devices/display/pixel_changes.h"

using namespace vireo;

namespace {

std::vector<uint32_t> ramp(uint32_t count)
{
    std::vector<uint32_t> pixels(count);
    for (uint32_t i = 0; i < count; ++i)
        pixels[i] = 0x010203u * (i + 1);
    return pixels;
}

TEST(PixelChanges, EqualRowsWriteNothing)
{
    for (uint32_t count : { 0u, 1u, 7u, 8u, 9u, 1024u }) {
        auto from = ramp(count);
        auto to = from;
        EXPECT_TRUE(store_changed_pixels(from.data(), to.data(), count).empty()) << count;
    }
}

TEST(PixelChanges, SpanFromFirstToLastDifferenceAtEveryPosition)
{
    for (uint32_t count : { 1u, 5u, 8u, 13u, 16u, 37u }) {
        for (uint32_t left = 0; left < count; ++left) {
            for (uint32_t right = left + 1; right <= count; ++right) {
                auto from = ramp(count);
                auto to = from;
                to[left] = 0xdead; // the row shown differs at left and right - 1
                to[right - 1] = 0xbeef;
                auto span = store_changed_pixels(from.data(), to.data(), count);
                ASSERT_EQ(span.left, left) << count << " " << left << " " << right;
                ASSERT_EQ(span.right, right) << count << " " << left << " " << right;
                ASSERT_EQ(to, from);
            }
        }
    }
}

TEST(PixelChanges, GuestPixelsLoseTheirXByteAndNeedNoAlignment)
{
    constexpr uint32_t count = 21;
    std::vector<uint8_t> guest(count * 4 + 1);
    std::vector<uint32_t> expected(count);
    for (uint32_t i = 0; i < count; ++i) {
        const uint32_t value = 0xab00'0000 | (0x030507u * i);
        std::memcpy(guest.data() + 1 + i * 4, &value, 4);
        expected[i] = value & 0x00ff'ffff;
    }
    std::vector<uint32_t> row(count, 0);
    auto span = store_changed_xrgb(guest.data() + 1, row.data(), count);
    EXPECT_EQ(span.left, 1u); // pixel 0 is X byte only: the same as black
    EXPECT_EQ(span.right, count);
    EXPECT_EQ(row, expected);
    EXPECT_TRUE(store_changed_xrgb(guest.data() + 1, row.data(), count).empty());
}

TEST(ChangedRowsTest, ConsecutiveRowsMakeOneRectangleAsWideAsTheirChanges)
{
    std::vector<DirtyRect> rects;
    ChangedRows rows(rects);
    rows.row(3, ColumnSpan { 10, 12 });
    rows.row(4, ColumnSpan { 5, 11 });
    rows.row(5, ColumnSpan { 0, 0 }); // unchanged: the run ends
    rows.row(6, ColumnSpan { 1, 2 });
    rows.row(9, ColumnSpan { 7, 8 }); // not next to 6
    rows.close();
    rows.close(); // nothing more
    EXPECT_EQ(rects, (std::vector<DirtyRect> { { 5, 3, 7, 2 }, { 1, 6, 1, 1 }, { 7, 9, 1, 1 } }));
}

} // namespace
