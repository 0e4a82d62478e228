#pragma once
// What a display device hands to a display consumer (the VNC server): at each refresh it draws
// into the consumer's 32-bit XRGB surface (0x00RRGGBB per pixel, rows `stride` pixels apart) and
// names the rectangles of it that changed. All calls are made on the event loop's thread only.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include <sanitizer/asan_interface.h>

namespace vireo {

struct DirtyRect {
    uint32_t x = 0;
    uint32_t y = 0;
    uint32_t width = 0;
    uint32_t height = 0;
    bool operator==(const DirtyRect&) const = default;
};

// The smallest rectangle holding all of `rects` (nothing: an empty one).
inline DirtyRect bounding_box(std::span<const DirtyRect> rects)
{
    if (rects.empty())
        return {};
    uint32_t left = rects.front().x, top = rects.front().y, right = 0, bottom = 0;
    for (const auto& rect : rects) {
        left = std::min(left, rect.x);
        top = std::min(top, rect.y);
        right = std::max(right, rect.x + rect.width);
        bottom = std::max(bottom, rect.y + rect.height);
    }
    return DirtyRect { left, top, right - left, bottom - top };
}

class DisplaySurface {
public:
    [[nodiscard]] uint32_t width() const { return m_width; }
    [[nodiscard]] uint32_t height() const { return m_height; }
    [[nodiscard]] uint32_t stride() const { return m_width; } // in pixels
    [[nodiscard]] const uint32_t* data() const { return m_pixels.get(); }
    [[nodiscard]] uint32_t* row(uint32_t y) { return m_pixels.get() + size_t { y } * m_width; }
    [[nodiscard]] const uint32_t* row(uint32_t y) const { return m_pixels.get() + size_t { y } * m_width; }
    [[nodiscard]] uint32_t pixel(uint32_t x, uint32_t y) const { return m_pixels[size_t { y } * m_width + x]; }

    // New dimensions; every pixel black. Returns whether the size changed.
    bool resize(uint32_t width, uint32_t height)
    {
        bool changed = width != m_width || height != m_height;
        const size_t pixels = std::max<size_t>(size_t { width } * height, 1);
        if (m_pixels && pixels <= m_capacity && m_capacity / 2 < pixels) {
            // The buffer in hand fits and is not twice too big: clear what the new size uses
            // (pages already present; a new buffer costs a mapping and a fault per page drawn).
            unpoison(m_capacity);
            std::memset(m_pixels.get(), 0, pixels * sizeof(uint32_t)); // one call, not a loop
            poison_tail(pixels);
        } else {
            // calloc, not a vector's fill: a surface of a MiB or more comes as fresh zero pages
            // that nothing writes until a renderer draws into them (a blank screen is 1.2 MiB, a
            // 2560x1600 mode 16 MiB; at every mode change and for every new display).
            unpoison(m_capacity);
            m_pixels.reset(static_cast<uint32_t*>(std::calloc(pixels, sizeof(uint32_t))));
            if (!m_pixels)
                throw std::bad_alloc();
            m_capacity = pixels;
        }
        m_width = width;
        m_height = height;
        return changed;
    }
    // Back to no size (as constructed), keeping the buffer for the next resize.
    void clear()
    {
        m_width = 0;
        m_height = 0;
        poison_tail(0);
    }

private:
    struct Free {
        void operator()(uint32_t* pixels) const { std::free(pixels); }
    };
    // Under AddressSanitizer, the part of a reused buffer past the current size is poisoned,
    // so that a renderer writing past the surface is caught as with a buffer of its own.
    void poison_tail([[maybe_unused]] size_t used)
    {
        if (m_pixels && used < m_capacity)
            ASAN_POISON_MEMORY_REGION(m_pixels.get() + used, (m_capacity - used) * sizeof(uint32_t));
    }
    void unpoison([[maybe_unused]] size_t pixels)
    {
        if (m_pixels)
            ASAN_UNPOISON_MEMORY_REGION(m_pixels.get(), pixels * sizeof(uint32_t));
    }

    uint32_t m_width = 0;
    uint32_t m_height = 0;
    size_t m_capacity = 0; // pixels the buffer holds
    std::unique_ptr<uint32_t[], Free> m_pixels;
};

// One refresh: the surface's size changed (the consumer must fetch it whole), and the
// rectangles that changed since the last refresh (empty: nothing changed).
struct DisplayUpdate {
    bool resized = false;
    std::vector<DirtyRect> rects;
};

// What a refresh may take the surface it draws into to hold.
enum class Redraw {
    Changes,    // what this source drew into it at its last update, untouched since
    Everything, // anything (a new consumer): draw it whole, and say `resized`
};

// A display device as a consumer sees it.
class DisplaySource {
public:
    virtual ~DisplaySource() = default;
    // Brings `surface` (the consumer's, resized here to the screen) up to date with the guest's
    // video memory and registers and says what changed in it; `now_ms` is a monotonic time
    // (cursor and text blink phases). Drawing writes only what differs where it can, so the
    // rectangles may be fewer than the pages the guest wrote.
    [[nodiscard]] virtual DisplayUpdate render_update(uint64_t now_ms, DisplaySurface& surface, Redraw redraw) = 0;
};

// Receives the refreshes (the VNC server). It owns the surface the source draws into, so the
// pixels go from video memory into the consumer's frame in one pass.
class DisplayConsumer {
public:
    virtual ~DisplayConsumer() = default;
    // One refresh: has `source` draw into the consumer's surface (render_update, with the
    // consumer's other readers of that surface held off) and hands on what changed. Returns
    // whether anything did.
    virtual bool refresh_from(DisplaySource& source, uint64_t now_ms, Redraw redraw) = 0;
    // Whether a reader is waiting for the next frame (a VNC client asked for an update that has
    // not been sent). While none is, a refresh would only add to what the next one finds.
    [[nodiscard]] virtual bool wants_frame() const { return true; }
};

} // namespace vireo
