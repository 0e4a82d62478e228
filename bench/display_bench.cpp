// The event loop's work for one display refresh of a scrolling console (Google Benchmark; no
// KVM): bochs-drm's fbcon at 1024x768 scrolls by one 16-line text row and rewrites the whole
// framebuffer, so the dirty log names every page. Timed: the VGA's render_update into the VNC
// server's staged frame (the dirty log here is a fake that names every page) and what the server
// does with the rectangles on the loop's thread. Not timed: the guest writing the frame into
// video memory. (At c0d430c the same benchmark timed the two passes before: render_update into
// the VGA's own surface, then ui/frame_diff's copy_changes into the staged frame.) Also timed:
// the display thread's work per frame before libvncserver encodes (the scroll search, the band's
// move and the diff into the clients' frame), on the redraw bench's random frames and on the
// scrolling console, beside a plain copy of the frame.
//
//   build/bench/display_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <random>
#include <vector>

#include "bus/bus.h"
#include "devices/display/bochs_dispi.h"
#include "devices/display/std_vga.h"
#include "devices/pci/pci_root.h"
#include "ui/frame_diff.h" // PixelRect
#include "ui/scroll_finder.h"

using namespace vireo;

namespace {

constexpr uint32_t k_width = 1024;
constexpr uint32_t k_height = 768;
constexpr uint32_t k_cell_width = 8;
constexpr uint32_t k_cell_height = 16;
constexpr uint32_t k_columns = k_width / k_cell_width;
constexpr uint32_t k_rows = k_height / k_cell_height;
constexpr uint32_t k_text_lines = 4 * k_rows; // the console's history the frames scroll through

// One slot, and a dirty log that names every page at each read (fbcon rewrote them all).
class EveryPageDirty final : public MemorySlots, public DirtyLog {
public:
    Result<SlotId> map_slot(uint64_t, uint64_t, uint8_t*, SlotAccess) override { return SlotId { 1 }; }
    void unmap_slot(SlotId) override { }
    Result<void> take_dirty_pages(SlotId, std::span<uint64_t> bitmap) override
    {
        std::ranges::fill(bitmap, ~uint64_t { 0 });
        return {};
    }
};

// A console's text as pixels: lines of `ls -l`-like length in light grey on black, 8x16 glyphs
// made up from each character's code.
std::vector<uint32_t> console_text()
{
    std::vector<uint32_t> pixels(size_t { k_width } * k_cell_height * k_text_lines, 0);
    std::mt19937 random(7);
    for (uint32_t line = 0; line < k_text_lines; ++line) {
        const uint32_t length = 40 + random() % (k_columns - 40);
        for (uint32_t column = 0; column < length; ++column) {
            const uint32_t code = 33 + random() % 94;
            for (uint32_t y = 2; y < k_cell_height - 2; ++y) {
                const uint32_t bits = (code * 2654435761u) >> (y % 8 * 3);
                for (uint32_t x = 0; x < k_cell_width - 1; ++x) {
                    if ((bits >> x) & 1)
                        pixels[size_t { line * k_cell_height + y } * k_width + column * k_cell_width + x] = 0xaaaaaa;
                }
            }
        }
    }
    return pixels;
}

struct Scroll {
    Bus mmio { "mmio" };
    Bus pio { "pio" };
    PciRoot root { mmio, pio,
        PciWindows { .mmio32_start = 0xc000'0000, .mmio32_end = 0xfec0'0000, .io_start = 0xc000, .io_end = 0x10000 },
        [](uint8_t) {} };
    EveryPageDirty kvm;
    std::shared_ptr<StdVga> vga;
    std::vector<uint32_t> text = console_text();
    uint32_t bpp;
    uint32_t top = 0; // the text line at the top of the screen

    explicit Scroll(uint32_t bits_per_pixel)
        : bpp(bits_per_pixel)
    {
        vga = *StdVga::create(kvm, kvm, StdVgaConfig {});
        (void)root.add_device(vga, 2); // maps the framebuffer's slot
        dispi(dispi::k_index_xres, k_width);
        dispi(dispi::k_index_yres, k_height);
        dispi(dispi::k_index_bpp, static_cast<uint16_t>(bpp));
        dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_lfb_enabled);
        uint8_t value = 0;
        (void)vga->port_read(0x3da, std::span(&value, 1));
        value = 0x20; // the palette address source: the display on
        vga->port_write(0x3c0, std::span(&value, 1));
    }
    ~Scroll() { vga.reset(); }
    void dispi(uint16_t index, uint16_t value)
    {
        std::array<uint8_t, 2> bytes { static_cast<uint8_t>(index), static_cast<uint8_t>(index >> 8) };
        vga->port_write(dispi::k_index_port, bytes);
        bytes = { static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8) };
        vga->port_write(dispi::k_index_port + 1, bytes);
    }
    // The guest scrolls by one text line: the screen shows the next k_rows lines of the text.
    void guest_scrolls()
    {
        top = (top + 1) % (k_text_lines - k_rows);
        const uint32_t* from = text.data() + size_t { top } * k_cell_height * k_width;
        uint8_t* vram = vga->vram().data();
        if (bpp == 32) {
            std::memcpy(vram, from, size_t { k_width } * k_height * 4);
            return;
        }
        for (size_t i = 0; i < size_t { k_width } * k_height; ++i) { // RGB565
            const uint32_t p = from[i];
            const auto v = static_cast<uint16_t>((p >> 8 & 0xf800) | (p >> 5 & 0x07e0) | (p >> 3 & 0x001f));
            std::memcpy(vram + 2 * i, &v, 2);
        }
    }
};

// What the loop does per refresh (VncServer::refresh_from): the VGA draws into the staged
// frame, writing only the pixels that differ, and the rectangles join those not yet taken.
void BM_ScrollRefresh(benchmark::State& state)
{
    Scroll scroll(static_cast<uint32_t>(state.range(0)));
    DisplaySurface staged;
    std::vector<PixelRect> dirty;
    uint64_t now = 0;
    auto refresh = [&](Redraw redraw) {
        auto update = scroll.vga->render_update(now += 30, staged, redraw);
        for (const auto& rect : update.rects)
            dirty.push_back(PixelRect { rect.x, rect.y, rect.width, rect.height });
    };
    scroll.guest_scrolls();
    refresh(Redraw::Everything);
    for (auto _ : state) {
        state.PauseTiming();
        scroll.guest_scrolls();
        dirty.clear();
        state.ResumeTiming();
        refresh(Redraw::Changes);
        benchmark::DoNotOptimize(dirty.data());
    }
    state.counters["rects"] = static_cast<double>(dirty.size());
}
BENCHMARK(BM_ScrollRefresh)->Arg(32)->Arg(16)->Unit(benchmark::kMillisecond);

// What the display thread does per frame before libvncserver encodes (VncServer::take_frame):
// looks for a scroll, moves the band, and copies what else differs into the clients' frame.
// Arg 0: the redraw workload (two frames of random pixels in turn, as bench/vnc_bench.py's
// guest writes them); arg 1: the console scrolled by one text line.
void BM_DisplayThreadFrame(benchmark::State& state)
{
    const size_t pixels = size_t { k_width } * k_height;
    std::vector<std::vector<uint32_t>> frames;
    if (state.range(0) == 0) {
        std::mt19937 random(11);
        for (int i = 0; i < 2; ++i) {
            frames.emplace_back(pixels);
            for (auto& pixel : frames.back())
                pixel = random() & 0xffffff;
        }
    } else {
        const auto text = console_text();
        for (uint32_t top = 0; top < 2 * k_rows; ++top)
            frames.emplace_back(text.begin() + ptrdiff_t(top * k_cell_height * k_width),
                text.begin() + ptrdiff_t(top * k_cell_height * k_width + pixels));
    }
    std::vector<uint32_t> shown = frames.back();
    const std::vector<PixelRect> dirty { PixelRect { 0, 0, k_width, k_height } };
    std::vector<PixelRect> changed;
    size_t next = 0;
    uint64_t scrolls = 0;
    for (auto _ : state) {
        changed.clear();
        const auto& frame = frames[next];
        next = (next + 1) % frames.size();
        auto scroll = find_scroll(frame, shown, k_width, k_height, dirty.front());
        scrolls += scroll ? 1 : 0;
        copy_changes_after_scroll(frame, shown, k_width, dirty, scroll, changed);
        benchmark::DoNotOptimize(changed.data());
    }
    state.counters["scrolls"] = static_cast<double>(scrolls);
}
BENCHMARK(BM_DisplayThreadFrame)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The lower bound for the redraw: the dirty rectangle copied whole, nothing compared.
void BM_DisplayThreadCopyOnly(benchmark::State& state)
{
    const size_t pixels = size_t { k_width } * k_height;
    std::vector<uint32_t> frame(pixels, 0x123456);
    std::vector<uint32_t> shown(pixels);
    for (auto _ : state) {
        std::memcpy(shown.data(), frame.data(), pixels * 4);
        benchmark::DoNotOptimize(shown.data());
    }
}
BENCHMARK(BM_DisplayThreadCopyOnly)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
