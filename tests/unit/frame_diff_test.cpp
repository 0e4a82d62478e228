// copy_changes: what the VNC server sends of a dirty rectangle.
#include <vector>

#include <gtest/gtest.h>

#include "ui/frame_diff.h"

using namespace vireo;

namespace {

constexpr uint32_t k_width = 64;
constexpr uint32_t k_height = 32;

std::vector<uint32_t> frame(uint32_t fill = 0) { return std::vector<uint32_t>(size_t { k_width } * k_height, fill); }

void set(std::vector<uint32_t>& pixels, uint32_t x, uint32_t y, uint32_t value) { pixels[size_t { y } * k_width + x] = value; }

} // namespace

TEST(FrameDiff, NothingChangedSendsNothing)
{
    auto next = frame(7);
    auto shown = frame(7);
    std::vector<PixelRect> changed;
    copy_changes(next, shown, k_width, PixelRect { 0, 0, k_width, k_height }, changed);
    EXPECT_TRUE(changed.empty());
}

TEST(FrameDiff, ChangedRowsBecomeRunsNarrowedToTheirColumns)
{
    auto next = frame();
    auto shown = frame();
    set(next, 10, 3, 1); // rows 3-4: columns 10..20
    set(next, 20, 4, 1);
    set(next, 5, 9, 1); // row 9 alone: column 5
    set(next, 63, 31, 1); // outside the dirty rectangle: neither copied nor sent
    std::vector<PixelRect> changed;
    copy_changes(next, shown, k_width, PixelRect { 0, 0, k_width, 16 }, changed);
    ASSERT_EQ(changed.size(), 2u);
    EXPECT_EQ(changed[0], (PixelRect { 10, 3, 11, 2 }));
    EXPECT_EQ(changed[1], (PixelRect { 5, 9, 1, 1 }));
    for (uint32_t y = 0; y < 16; ++y) {
        for (uint32_t x = 0; x < k_width; ++x)
            EXPECT_EQ(shown[size_t { y } * k_width + x], next[size_t { y } * k_width + x]) << x << "," << y;
    }
    EXPECT_EQ(shown[size_t { 31 } * k_width + 63], 0u);
}

TEST(FrameDiff, OnlyInsideTheRectangle)
{
    auto next = frame(5);
    auto shown = frame();
    std::vector<PixelRect> changed;
    copy_changes(next, shown, k_width, PixelRect { 8, 4, 16, 2 }, changed);
    ASSERT_EQ(changed.size(), 1u);
    EXPECT_EQ(changed[0], (PixelRect { 8, 4, 16, 2 }));
    EXPECT_EQ(shown[size_t { 4 } * k_width + 7], 0u);
    EXPECT_EQ(shown[size_t { 4 } * k_width + 8], 5u);
    EXPECT_EQ(shown[size_t { 5 } * k_width + 23], 5u);
    EXPECT_EQ(shown[size_t { 5 } * k_width + 24], 0u);
    EXPECT_EQ(shown[size_t { 6 } * k_width + 8], 0u);
}
