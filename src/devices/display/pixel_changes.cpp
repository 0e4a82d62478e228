#include "devices/display/pixel_changes.h"

#include <algorithm>
#include <cstring>

namespace vireo {

namespace {

// Pixels are compared and copied 8 at a time, as two vectors of 4 (GCC's vector extension, SSE2
// on x86-64): GCC 12's -O2 vectorizes no loop whose length is unknown or that can break early.
using Quad = uint32_t __attribute__((vector_size(16)));
constexpr uint32_t k_block = 8;

struct PlainPixels {
    const uint32_t* from;
    [[nodiscard]] uint32_t operator[](uint32_t x) const { return from[x]; }
    [[nodiscard]] Quad quad(uint32_t x) const
    {
        Quad quad;
        std::memcpy(&quad, from + x, sizeof(quad));
        return quad;
    }
};

struct GuestXrgb {
    const uint8_t* from;
    [[nodiscard]] uint32_t operator[](uint32_t x) const
    {
        uint32_t value;
        std::memcpy(&value, from + size_t { x } * 4, 4);
        return value & 0x00ff'ffff;
    }
    [[nodiscard]] Quad quad(uint32_t x) const
    {
        Quad quad;
        std::memcpy(&quad, from + size_t { x } * 4, sizeof(quad));
        return quad & 0x00ff'ffff;
    }
};

Quad quad_at(const uint32_t* pixels)
{
    Quad quad;
    std::memcpy(&quad, pixels, sizeof(quad));
    return quad;
}

// Whether the 8 pixels from x differ anywhere.
template<typename Pixels>
[[gnu::always_inline]] inline bool block_differs(const Pixels& from, const uint32_t* to, uint32_t x)
{
    const Quad differ = (from.quad(x) ^ quad_at(to + x)) | (from.quad(x + 4) ^ quad_at(to + x + 4));
    uint64_t halves[2];
    std::memcpy(halves, &differ, sizeof(halves));
    return (halves[0] | halves[1]) != 0;
}

template<typename Pixels>
ColumnSpan store_changes(Pixels from, uint32_t* to, uint32_t count)
{
    uint32_t left = 0;
    while (left + k_block <= count && !block_differs(from, to, left))
        left += k_block;
    while (left < count && from[left] == to[left])
        ++left;
    if (left == count)
        return {};
    uint32_t right = count;
    while (right >= left + k_block && !block_differs(from, to, right - k_block))
        right -= k_block;
    // (Guest memory may have changed back since `left` was found: then nothing is left here.)
    while (right > left && from[right - 1] == to[right - 1])
        --right;
    uint32_t x = left;
    for (; x + k_block <= right; x += k_block) {
        const Quad low = from.quad(x);
        const Quad high = from.quad(x + 4);
        std::memcpy(to + x, &low, sizeof(low));
        std::memcpy(to + x + 4, &high, sizeof(high));
    }
    for (; x < right; ++x)
        to[x] = from[x];
    return ColumnSpan { left, right };
}

} // namespace

ColumnSpan store_changed_pixels(const uint32_t* from, uint32_t* to, uint32_t count)
{
    return store_changes(PlainPixels { from }, to, count);
}

ColumnSpan store_changed_xrgb(const uint8_t* from, uint32_t* to, uint32_t count)
{
    return store_changes(GuestXrgb { from }, to, count);
}

void ChangedRows::row(uint32_t y, ColumnSpan columns)
{
    if (m_open && y != m_run.y + m_run.height)
        close();
    if (columns.empty()) {
        close();
        return;
    }
    if (!m_open) {
        m_open = true;
        m_run = DirtyRect { columns.left, y, 0, 1 };
        m_right = columns.right;
        return;
    }
    m_run.x = std::min(m_run.x, columns.left);
    m_right = std::max(m_right, columns.right);
    ++m_run.height;
}

void ChangedRows::close()
{
    if (m_open) {
        m_run.width = m_right - m_run.x;
        m_out.push_back(m_run);
    }
    m_open = false;
}

} // namespace vireo
