#pragma once
// What really changed in a dirty rectangle. KVM's dirty log (and the renderers behind it) name
// whole pages and text rows, so a scrolling console marks most of the screen while most of its
// pixels (the blank parts, the lines that scrolled onto the same text) stay as they were. The
// renderer draws into the VNC server's staged frame writing only what differs (event loop,
// devices/display/pixel_changes.h), and the display thread compares the staged frame with the one
// its clients have, and keeps only the rows that differ, each run of them narrowed to the
// columns that differ: less to copy, encode and send.
#include <cstdint>
#include <span>
#include <vector>

#include "devices/display/display_surface.h"

namespace vireo {

// The renderers' rectangle: ui and devices/display describe changes the same way.
using PixelRect = DirtyRect;

// Copies `rect` of `next` into `shown` (frames of `width` pixels a row, the rectangle inside
// both) and appends to `changed` the rectangles that cover every pixel that differed: runs of
// consecutive changed rows, each as wide as its changed columns.
void copy_changes(std::span<const uint32_t> next, std::span<uint32_t> shown, uint32_t width, const PixelRect& rect,
    std::vector<PixelRect>& changed);

} // namespace vireo
