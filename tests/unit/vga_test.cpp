// The standard VGA: register state machines, planar memory (write modes, latches, plane masks,
// chain-4, odd/even), text and graphics rendering into exact pixels, the Bochs DISPI modes, dirty
// rectangles from dirty pages, the framebuffer slot following BAR0, the expansion ROM and the
// MMIO BAR. The device is driven through its ports, window and BARs as a guest would.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <map>

#include "base/read_file.h"
#include "bus/bus.h"
#include "devices/display/display_refresh.h"
#include "devices/display/std_vga.h"
#include "devices/pci/pci_root.h"

using namespace vireo;

namespace {

struct FakeSlot {
    uint64_t address;
    uint64_t size;
    uint8_t* host;
    SlotAccess access;
};

// KVM memory slots and their dirty logs. `ram` is a range already taken, as guest RAM's slots.
class FakeKvm final : public MemorySlots, public DirtyLog {
public:
    Result<SlotId> map_slot(uint64_t address, uint64_t size, uint8_t* host, SlotAccess access) override
    {
        if (address < ram_end && ram_start < address + size)
            return make_error("overlaps RAM");
        for (const auto& [id, slot] : slots) {
            if (address < slot.address + slot.size && slot.address < address + size)
                return make_error("overlaps slot {}", id);
        }
        slots[next] = FakeSlot { address, size, host, access };
        return SlotId { next++ };
    }
    void unmap_slot(SlotId slot) override { EXPECT_EQ(slots.erase(slot.value), 1u); }
    Result<void> take_dirty_pages(SlotId slot, std::span<uint64_t> bitmap) override
    {
        EXPECT_TRUE(slots.contains(slot.value));
        ++log_reads;
        for (size_t i = 0; i < bitmap.size(); ++i)
            bitmap[i] = i < pending.size() ? pending[i] : 0;
        pending.clear();
        return {};
    }
    // The guest writes page `page` of the framebuffer through the slot.
    void guest_wrote(uint64_t page)
    {
        if (pending.size() <= page / 64)
            pending.resize(page / 64 + 1, 0);
        pending[page / 64] |= uint64_t { 1 } << (page % 64);
    }
    const FakeSlot* slot_at(uint64_t address) const
    {
        for (const auto& [id, slot] : slots) {
            if (address >= slot.address && address < slot.address + slot.size)
                return &slot;
        }
        return nullptr;
    }

    std::map<uint32_t, FakeSlot> slots;
    uint32_t next = 100;
    std::vector<uint64_t> pending;
    uint64_t ram_start = 0;
    uint64_t ram_end = 0x800'0000;
    int log_reads = 0;
};

constexpr uint64_t k_window_b8000 = 0x1'8000;

struct VgaFixture : ::testing::Test {
    FakeKvm kvm;
    std::shared_ptr<StdVga> vga;
    DisplaySurface screen; // what a display consumer has: the VGA draws into it

    DisplayUpdate render(uint64_t now_ms, Redraw redraw = Redraw::Changes)
    {
        return vga->render_update(now_ms, screen, redraw);
    }

    void SetUp() override { make(16 << 20); }
    void make(uint64_t vram_size, std::vector<uint8_t> rom = {})
    {
        vga.reset();
        auto created = StdVga::create(kvm, kvm, StdVgaConfig { vram_size, std::move(rom) });
        ASSERT_TRUE(created) << created.error().describe();
        vga = *created;
    }

    void out(uint16_t port, uint8_t value) { vga->port_write(port, std::span(&value, 1)); }
    void outw(uint16_t port, uint16_t value)
    {
        std::array<uint8_t, 2> bytes { static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8) };
        vga->port_write(port, bytes);
    }
    uint8_t in(uint16_t port)
    {
        uint8_t value = 0;
        vga->port_read(port, std::span(&value, 1));
        return value;
    }
    uint16_t inw(uint16_t port)
    {
        std::array<uint8_t, 2> bytes {};
        vga->port_read(port, bytes);
        return static_cast<uint16_t>(bytes[0] | bytes[1] << 8);
    }
    void seq(uint8_t index, uint8_t value) { outw(0x3c4, static_cast<uint16_t>(value << 8 | index)); }
    void gc(uint8_t index, uint8_t value) { outw(0x3ce, static_cast<uint16_t>(value << 8 | index)); }
    void crtc(uint8_t index, uint8_t value) { outw(0x3d4, static_cast<uint16_t>(value << 8 | index)); }
    void attr(uint8_t index, uint8_t value)
    {
        (void)in(0x3da); // flip-flop to index
        out(0x3c0, index);
        out(0x3c0, value);
    }
    void display_on()
    {
        (void)in(0x3da);
        out(0x3c0, 0x20);
    }
    void dac(uint8_t index, uint8_t r, uint8_t g, uint8_t b)
    {
        out(0x3c8, index);
        out(0x3c9, r);
        out(0x3c9, g);
        out(0x3c9, b);
    }
    void poke(uint64_t offset, uint8_t value) { vga->window_write(offset, std::span(&value, 1)); }
    uint8_t peek(uint64_t offset)
    {
        uint8_t value = 0;
        vga->window_read(offset, std::span(&value, 1));
        return value;
    }
    uint8_t plane(uint64_t address, size_t p) { return vga->vram()[address * 4 + p]; }
    void dispi(uint16_t index, uint16_t value)
    {
        outw(0x1ce, index);
        outw(0x1cf, value);
    }
    uint16_t dispi_read(uint16_t index)
    {
        outw(0x1ce, index);
        return inw(0x1cf);
    }

    // Planar access with odd/even off, as a BIOS loading a font into plane 2.
    void planar_mode(uint8_t map_mask)
    {
        seq(vga::k_seq_map_mask, map_mask);
        seq(vga::k_seq_memory_mode, 0x06);
        gc(vga::k_gc_mode, 0x00);
        gc(vga::k_gc_misc, 0x04); // 0xA0000, 64 KiB
        gc(vga::k_gc_bit_mask, 0xff);
        gc(vga::k_gc_enable_set_reset, 0);
        gc(vga::k_gc_data_rotate, 0);
    }

    // An 80x25 colour text mode with 8- or 9-dot, 16-line cells; DAC 1 blue, 7 grey, 15 white.
    void text_mode(bool nine_dots)
    {
        out(0x3c2, 0x67);
        seq(vga::k_seq_clocking, nine_dots ? 0x00 : 0x01);
        seq(vga::k_seq_char_map, 0x00);
        crtc(vga::k_crtc_v_retrace_end, 0x00);
        crtc(vga::k_crtc_h_display_end, 79);
        crtc(vga::k_crtc_max_scan_line, 0x4f);
        crtc(vga::k_crtc_v_display_end, 0x8f);
        crtc(vga::k_crtc_overflow, 0x02); // 400 lines: bit 8 set
        crtc(vga::k_crtc_offset, 40);
        crtc(vga::k_crtc_cursor_start, 0x20); // cursor off unless a test turns it on
        crtc(vga::k_crtc_cursor_end, 0x0f);
        for (uint8_t i = 0; i < 16; ++i)
            attr(i, i);
        attr(vga::k_attr_mode_control, 0x04); // line graphics, no blink
        attr(vga::k_attr_plane_enable, 0x0f);
        attr(vga::k_attr_color_select, 0x00);
        dac(1, 0x00, 0x00, 0x2a);
        dac(7, 0x2a, 0x2a, 0x2a);
        dac(15, 0x3f, 0x3f, 0x3f);
        // A font: glyph 'A' has its outer columns set on every line; 0xC4 a full line 8.
        planar_mode(0x04);
        for (uint32_t line = 0; line < 16; ++line)
            poke(uint32_t { 'A' } * 32 + line, 0x81);
        poke(0xc4 * 32 + 8, 0xff);
        // Back to odd/even text access at 0xB8000.
        seq(vga::k_seq_map_mask, 0x03);
        seq(vga::k_seq_memory_mode, 0x02);
        gc(vga::k_gc_mode, 0x10);
        gc(vga::k_gc_misc, 0x0e);
        display_on();
    }
    void put_char(uint32_t cell, uint8_t code, uint8_t attribute)
    {
        poke(k_window_b8000 + 2 * cell, code);
        poke(k_window_b8000 + 2 * cell + 1, attribute);
    }
};

// ---- Registers --------------------------------------------------------------------------

TEST_F(VgaFixture, IndexedRegistersReadBackAndIgnoreIndicesPastTheLast)
{
    seq(vga::k_seq_map_mask, 0x0b);
    gc(vga::k_gc_bit_mask, 0x5a);
    out(0x3c2, 0x01); // colour I/O: the CRTC at 0x3d4
    crtc(vga::k_crtc_offset, 0x28);
    out(0x3c4, 2);
    EXPECT_EQ(in(0x3c5), 0x0b);
    out(0x3ce, 8);
    EXPECT_EQ(in(0x3cf), 0x5a);
    out(0x3d4, 0x13);
    EXPECT_EQ(in(0x3d5), 0x28);
    EXPECT_EQ(in(0x3b5), 0xff); // the mono CRTC is not decoded in colour mode

    seq(0x06, 0x77); // no sequencer register 6
    out(0x3c4, 6);
    EXPECT_EQ(in(0x3c5), 0);
    crtc(0x30, 0x77);
    out(0x3d4, 0x30);
    EXPECT_EQ(in(0x3d5), 0);
    gc(0x0f, 0x77);
    out(0x3ce, 0x0f);
    EXPECT_EQ(in(0x3cf), 0);
}

TEST_F(VgaFixture, CrtcWriteProtectKeepsRegistersZeroToSeven)
{
    out(0x3c2, 0x01);
    crtc(vga::k_crtc_h_display_end, 79);
    crtc(vga::k_crtc_overflow, 0x02);
    crtc(vga::k_crtc_v_retrace_end, 0x80);
    crtc(vga::k_crtc_h_display_end, 39);
    crtc(vga::k_crtc_overflow, 0xff);
    out(0x3d4, 1);
    EXPECT_EQ(in(0x3d5), 79);
    out(0x3d4, 7);
    EXPECT_EQ(in(0x3d5), 0x12); // only the line-compare bit 4 went through
}

TEST_F(VgaFixture, AttributeFlipFlopIsResetByReadingInputStatus)
{
    out(0x3c2, 0x01);
    (void)in(0x3da);
    out(0x3c0, 0x01); // index
    out(0x3c0, 0x15); // data
    out(0x3c0, 0x02); // index again
    EXPECT_EQ(in(0x3c0), 0x02);
    out(0x3c0, 0x04); // data of register 2; the flip-flop now expects an index
    (void)in(0x3da);
    out(0x3c0, 0x01);  // index (reset flip-flop), not data
    EXPECT_EQ(in(0x3c0), 0x01);
    EXPECT_EQ(in(0x3c1), 0x15);
    out(0x3c0, 0x3a); // data: palette registers keep 6 bits
    EXPECT_EQ(in(0x3c1), 0x3a);
    (void)in(0x3da);
    out(0x3c0, 0x1f); // an index past the last register
    out(0x3c0, 0x99);
    EXPECT_EQ(in(0x3c1), 0);
}

TEST_F(VgaFixture, InputStatusAlternatesRetrace)
{
    out(0x3c2, 0x01);
    uint8_t first = in(0x3da);
    uint8_t second = in(0x3da);
    EXPECT_NE(first & 0x08, second & 0x08);
}

TEST_F(VgaFixture, DacIndicesAutoIncrement)
{
    out(0x3c8, 10);
    for (uint8_t value : { 1, 2, 3, 4, 5, 0xff })
        out(0x3c9, value);
    EXPECT_EQ(in(0x3c8), 12);
    out(0x3c7, 10);
    EXPECT_EQ(in(0x3c7), 3); // the DAC is in read mode
    std::vector<uint8_t> read;
    for (int i = 0; i < 6; ++i)
        read.push_back(in(0x3c9));
    EXPECT_EQ(read, (std::vector<uint8_t> { 1, 2, 3, 4, 5, 0x3f })); // 6-bit components
    out(0x3c8, 255);
    out(0x3c9, 7);
    out(0x3c9, 8);
    out(0x3c9, 9);
    EXPECT_EQ(in(0x3c8), 0); // wraps
}

// ---- Planar memory ----------------------------------------------------------------------

TEST_F(VgaFixture, WriteModeZeroWithSetResetRotateAndBitMask)
{
    planar_mode(0x0f);
    poke(0, 0xa5);
    for (size_t p = 0; p < 4; ++p)
        EXPECT_EQ(plane(0, p), 0xa5);

    gc(vga::k_gc_enable_set_reset, 0x0f);
    gc(vga::k_gc_set_reset, 0x05);
    poke(1, 0x00);
    EXPECT_EQ(plane(1, 0), 0xff);
    EXPECT_EQ(plane(1, 1), 0x00);
    EXPECT_EQ(plane(1, 2), 0xff);
    EXPECT_EQ(plane(1, 3), 0x00);

    gc(vga::k_gc_enable_set_reset, 0);
    gc(vga::k_gc_data_rotate, 0x04); // rotate right by 4
    poke(2, 0x12);
    EXPECT_EQ(plane(2, 0), 0x21);

    // Bit mask: the masked-off bits come from the latches (loaded by a read).
    gc(vga::k_gc_data_rotate, 0);
    (void)peek(0); // latches = 0xa5 in every plane
    gc(vga::k_gc_bit_mask, 0x0f);
    poke(3, 0x00);
    EXPECT_EQ(plane(3, 0), 0xa0);

    // Logical function XOR with the latches.
    gc(vga::k_gc_bit_mask, 0xff);
    gc(vga::k_gc_data_rotate, 0x18);
    poke(4, 0xff);
    EXPECT_EQ(plane(4, 1), 0x5a);
}

TEST_F(VgaFixture, MapMaskLimitsWritesToEnabledPlanes)
{
    planar_mode(0x04);
    poke(7, 0x3c);
    EXPECT_EQ(plane(7, 0), 0);
    EXPECT_EQ(plane(7, 1), 0);
    EXPECT_EQ(plane(7, 2), 0x3c);
    EXPECT_EQ(plane(7, 3), 0);
}

TEST_F(VgaFixture, WriteModeOneCopiesTheLatches)
{
    planar_mode(0x0f);
    gc(vga::k_gc_enable_set_reset, 0x0f);
    gc(vga::k_gc_set_reset, 0x09);
    poke(10, 0);
    gc(vga::k_gc_enable_set_reset, 0);
    (void)peek(10);
    gc(vga::k_gc_mode, 0x01);
    poke(20, 0x00);
    for (size_t p = 0; p < 4; ++p)
        EXPECT_EQ(plane(20, p), plane(10, p)) << p;
}

TEST_F(VgaFixture, WriteModeTwoExpandsColourBits)
{
    planar_mode(0x0f);
    gc(vga::k_gc_mode, 0x02);
    gc(vga::k_gc_bit_mask, 0xf0);
    poke(5, 0x0a); // colour 1010b
    EXPECT_EQ(plane(5, 0), 0x00);
    EXPECT_EQ(plane(5, 1), 0xf0);
    EXPECT_EQ(plane(5, 2), 0x00);
    EXPECT_EQ(plane(5, 3), 0xf0);
}

TEST_F(VgaFixture, WriteModeThreeMasksWithTheRotatedValue)
{
    planar_mode(0x0f);
    gc(vga::k_gc_mode, 0x03);
    gc(vga::k_gc_set_reset, 0x03);
    gc(vga::k_gc_bit_mask, 0x3c);
    poke(6, 0x0f); // effective bit mask 0x0c
    EXPECT_EQ(plane(6, 0), 0x0c);
    EXPECT_EQ(plane(6, 1), 0x0c);
    EXPECT_EQ(plane(6, 2), 0x00);
}

TEST_F(VgaFixture, ReadModeOneComparesColours)
{
    planar_mode(0x0f);
    gc(vga::k_gc_mode, 0x02);
    gc(vga::k_gc_bit_mask, 0x80);
    poke(0, 0x05); // pixel 0: colour 5
    (void)peek(0); // latch the byte, so the next write keeps pixel 0
    gc(vga::k_gc_bit_mask, 0x01);
    poke(0, 0x03); // pixel 7: colour 3
    gc(vga::k_gc_mode, 0x08); // read mode 1
    gc(vga::k_gc_color_compare, 0x05);
    gc(vga::k_gc_color_dont_care, 0x0f);
    EXPECT_EQ(peek(0), 0x80);
    gc(vga::k_gc_color_dont_care, 0x01); // only plane 0 matters: colours 5 and 3 both have it
    EXPECT_EQ(peek(0), 0x81);
    gc(vga::k_gc_mode, 0x00);
    gc(vga::k_gc_read_map, 2);
    EXPECT_EQ(peek(0), 0x80); // read mode 0: plane 2
}

TEST_F(VgaFixture, ChainFourAddressesBytesDirectly)
{
    seq(vga::k_seq_map_mask, 0x0f);
    seq(vga::k_seq_memory_mode, 0x0e);
    gc(vga::k_gc_misc, 0x05);
    for (uint8_t i = 0; i < 8; ++i)
        poke(i, static_cast<uint8_t>(0x10 + i));
    for (uint8_t i = 0; i < 8; ++i)
        EXPECT_EQ(vga->vram()[i], 0x10 + i);
    EXPECT_EQ(plane(1, 2), 0x16); // byte 6: plane 2 of address 1
    EXPECT_EQ(peek(6), 0x16);
    seq(vga::k_seq_map_mask, 0x01);
    poke(9, 0xee); // plane 1 masked off
    EXPECT_EQ(vga->vram()[9], 0);
}

TEST_F(VgaFixture, OddEvenSplitsCharactersAndAttributes)
{
    seq(vga::k_seq_map_mask, 0x03);
    seq(vga::k_seq_memory_mode, 0x02);
    gc(vga::k_gc_mode, 0x10);
    gc(vga::k_gc_misc, 0x0e);
    poke(k_window_b8000 + 0, 'H');
    poke(k_window_b8000 + 1, 0x1f);
    poke(k_window_b8000 + 2, 'i');
    EXPECT_EQ(plane(0, 0), 'H');
    EXPECT_EQ(plane(0, 1), 0x1f);
    EXPECT_EQ(plane(1, 0), 'i');
    EXPECT_EQ(peek(k_window_b8000 + 1), 0x1f);
    EXPECT_EQ(peek(0), 0xff); // 0xA0000 is not decoded with the B8000 map
}

// ---- Text rendering ---------------------------------------------------------------------

TEST_F(VgaFixture, TextRendersGlyphsFromPlaneTwoWithTheirAttributes)
{
    text_mode(false);
    put_char(0, 'A', 0x1f); // white on blue
    auto update = render(0);
    const auto& surface = screen;
    EXPECT_TRUE(update.resized);
    ASSERT_EQ(surface.width(), 640u);
    ASSERT_EQ(surface.height(), 400u);
    const uint32_t white = 0xffffff;
    const uint32_t blue = 0x0000aa;
    for (uint32_t y = 0; y < 16; ++y) {
        for (uint32_t x = 0; x < 8; ++x)
            EXPECT_EQ(surface.pixel(x, y), (x == 0 || x == 7) ? white : blue) << x << "," << y;
    }
    EXPECT_EQ(surface.pixel(8, 0), 0u); // cell 1: a blank, black on black

    auto quiet = render(10);
    EXPECT_FALSE(quiet.resized);
    EXPECT_TRUE(quiet.rects.empty());

    put_char(5, 'A', 0x07);
    auto changed = render(20);
    ASSERT_EQ(changed.rects.size(), 1u);
    EXPECT_EQ(changed.rects[0], (DirtyRect { 40, 0, 8, 16 }));
    EXPECT_EQ(surface.pixel(40, 3), 0xaaaaaau);
}

TEST_F(VgaFixture, NineDotCellsRepeatLineGraphics)
{
    text_mode(true);
    put_char(0, 0xc4, 0x0f);
    put_char(1, 'A', 0x0f);
    (void)render(0);
    const auto& surface = screen;
    ASSERT_EQ(surface.width(), 720u);
    EXPECT_EQ(surface.pixel(8, 8), 0xffffffu); // 0xC4's 9th dot repeats the 8th
    EXPECT_EQ(surface.pixel(9 + 8, 0), 0u);     // 'A': the 9th dot is background
    EXPECT_EQ(surface.pixel(9 + 7, 0), 0xffffffu);
}

TEST_F(VgaFixture, CursorBlinksOnlyItsCell)
{
    text_mode(false);
    put_char(1, ' ', 0x07);
    crtc(vga::k_crtc_cursor_start, 14);
    crtc(vga::k_crtc_cursor_end, 15);
    crtc(vga::k_crtc_cursor_high, 0);
    crtc(vga::k_crtc_cursor_low, 1);
    (void)render(0); // cursor phase on
    const auto& surface = screen;
    EXPECT_EQ(surface.pixel(8, 14), 0xaaaaaau);
    EXPECT_EQ(surface.pixel(8, 13), 0u);
    auto off = render(300); // cursor phase off
    ASSERT_EQ(off.rects.size(), 1u);
    EXPECT_EQ(off.rects[0], (DirtyRect { 8, 0, 8, 16 }));
    EXPECT_EQ(surface.pixel(8, 14), 0u);
}

TEST_F(VgaFixture, BlankUntilThePaletteAddressSourceIsSet)
{
    auto first = render(0);
    EXPECT_TRUE(first.resized);
    EXPECT_EQ(screen.width(), 640u);
    EXPECT_EQ(screen.height(), 480u);
    EXPECT_TRUE(render(50).rects.empty());
}

// ---- Graphics modes ---------------------------------------------------------------------

TEST_F(VgaFixture, PlanarSixteenColourPixels)
{
    out(0x3c2, 0x01);
    crtc(vga::k_crtc_h_display_end, 79); // 640 wide
    crtc(vga::k_crtc_v_display_end, 0xdf);
    crtc(vga::k_crtc_overflow, 0x02); // 480 lines
    crtc(vga::k_crtc_max_scan_line, 0x40);
    crtc(vga::k_crtc_offset, 40);
    crtc(vga::k_crtc_mode_control, 0xe3);
    for (uint8_t i = 0; i < 16; ++i)
        attr(i, i);
    attr(vga::k_attr_mode_control, 0x01);
    attr(vga::k_attr_plane_enable, 0x0f);
    dac(9, 0x3f, 0x00, 0x00);
    planar_mode(0x0f);
    gc(vga::k_gc_misc, 0x05);
    gc(vga::k_gc_mode, 0x02);
    gc(vga::k_gc_bit_mask, 0x40); // pixel 1 of the byte
    poke(80 * 2 + 1, 9);         // line 2, pixels 8-15 -> pixel (9, 2)
    display_on();
    auto update = render(0);
    const auto& surface = screen;
    ASSERT_EQ(surface.width(), 640u);
    ASSERT_EQ(surface.height(), 480u);
    EXPECT_TRUE(update.resized);
    EXPECT_EQ(surface.pixel(9, 2), 0xff0000u);
    EXPECT_EQ(surface.pixel(8, 2), 0u);
    EXPECT_EQ(surface.pixel(9, 3), 0u);

    gc(vga::k_gc_bit_mask, 0x01);
    poke(80 * 100, 9); // pixel (7, 100)
    auto changed = render(10);
    ASSERT_EQ(changed.rects.size(), 1u);
    // Line 100 (bytes 32000-32319) is in page 7 (28672-32767), which lines 89-102 touch: they are
    // drawn aside and compared, and only the pixel that changed is named.
    EXPECT_EQ(changed.rects[0], (DirtyRect { 7, 100, 1, 1 }));
    EXPECT_EQ(surface.pixel(7, 100), 0xff0000u);
}

TEST_F(VgaFixture, Mode13hChainFourPixels)
{
    out(0x3c2, 0x63);
    seq(vga::k_seq_map_mask, 0x0f);
    seq(vga::k_seq_memory_mode, 0x0e);
    gc(vga::k_gc_mode, 0x40);
    gc(vga::k_gc_misc, 0x05);
    crtc(vga::k_crtc_h_display_end, 79);
    crtc(vga::k_crtc_v_display_end, 0x8f);
    crtc(vga::k_crtc_overflow, 0x1f);
    crtc(vga::k_crtc_max_scan_line, 0x41);
    crtc(vga::k_crtc_offset, 40);
    crtc(vga::k_crtc_mode_control, 0xa3);
    attr(vga::k_attr_mode_control, 0x41);
    dac(200, 0x00, 0x3f, 0x00);
    poke(320 * 10 + 33, 200);
    display_on();
    (void)render(0);
    const auto& surface = screen;
    ASSERT_EQ(surface.width(), 320u);
    ASSERT_EQ(surface.height(), 200u);
    EXPECT_EQ(surface.pixel(33, 10), 0x00ff00u);
    EXPECT_EQ(surface.pixel(34, 10), 0u);
}

// Mode 4 (320x200, 4 colours): CGA addressing puts odd scan lines 8 KiB further, and each
// byte holds four 2-bit pixels through the attribute palette.
TEST_F(VgaFixture, CgaFourColourMode)
{
    out(0x3c2, 0x63);
    seq(vga::k_seq_clocking, 0x09);
    seq(vga::k_seq_map_mask, 0x03);
    seq(vga::k_seq_memory_mode, 0x02);
    crtc(vga::k_crtc_h_display_end, 0x27);
    crtc(vga::k_crtc_v_display_end, 0x8f);
    crtc(vga::k_crtc_overflow, 0x02);
    crtc(vga::k_crtc_max_scan_line, 0xc1);
    crtc(vga::k_crtc_offset, 0x14);
    crtc(vga::k_crtc_mode_control, 0xa2);
    gc(vga::k_gc_mode, 0x30);
    gc(vga::k_gc_misc, 0x0f);
    attr(0, 0x00);
    attr(1, 0x13);
    attr(2, 0x15);
    attr(3, 0x17);
    attr(vga::k_attr_mode_control, 0x01);
    attr(vga::k_attr_plane_enable, 0x03);
    dac(0x15, 0x3f, 0x00, 0x3f);
    dac(0x17, 0x3f, 0x3f, 0x3f);
    poke(k_window_b8000 + 0x2000 + 80 + 2, 0x20); // line 3 (row 1, odd), pixel 9: colour 2
    poke(k_window_b8000 + 80 * 2 + 1, 0x03);      // line 4 (row 2, even), pixel 7: colour 3
    display_on();
    (void)render(0);
    const auto& surface = screen;
    ASSERT_EQ(surface.width(), 320u);
    ASSERT_EQ(surface.height(), 200u);
    EXPECT_EQ(surface.pixel(9, 3), 0xff00ffu);
    EXPECT_EQ(surface.pixel(8, 3), 0u);
    EXPECT_EQ(surface.pixel(9, 2), 0u);
    EXPECT_EQ(surface.pixel(7, 4), 0xffffffu);
}

// ---- Bochs DISPI ------------------------------------------------------------------------

TEST_F(VgaFixture, DispiIdentifiesItselfAndItsMemory)
{
    EXPECT_EQ(dispi_read(dispi::k_index_id), dispi::k_id5);
    dispi(dispi::k_index_id, dispi::k_id0);
    EXPECT_EQ(dispi_read(dispi::k_index_id), dispi::k_id0);
    dispi(dispi::k_index_id, 0x1234); // not an id: ignored
    EXPECT_EQ(dispi_read(dispi::k_index_id), dispi::k_id0);
    EXPECT_EQ(dispi_read(dispi::k_index_video_memory_64k), 256);
    dispi(dispi::k_index_enable, dispi::k_getcaps);
    EXPECT_EQ(dispi_read(dispi::k_index_xres), dispi::k_max_xres);
    EXPECT_EQ(dispi_read(dispi::k_index_yres), dispi::k_max_yres);
    EXPECT_EQ(dispi_read(dispi::k_index_bpp), dispi::k_max_bpp);
    dispi(dispi::k_index_enable, 0);
    EXPECT_EQ(dispi_read(dispi::k_index_xres), 640);
}

struct LinearCase {
    uint16_t bpp;
    std::vector<uint8_t> pixel; // bytes of pixel (1, 0)
    uint32_t expected;
};

class DispiLinear : public VgaFixture, public ::testing::WithParamInterface<LinearCase> { };

TEST_P(DispiLinear, RendersThePixelFormat)
{
    const auto& param = GetParam();
    dac(0x42, 0x3f, 0x20, 0x00);
    dispi(dispi::k_index_xres, 64);
    dispi(dispi::k_index_yres, 32);
    dispi(dispi::k_index_bpp, param.bpp);
    dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_lfb_enabled);
    display_on();
    const uint32_t bytes = (param.bpp + 7) / 8;
    std::memcpy(vga->vram().data() + bytes, param.pixel.data(), param.pixel.size());
    auto update = render(0);
    EXPECT_TRUE(update.resized);
    ASSERT_EQ(screen.width(), 64u);
    ASSERT_EQ(screen.height(), 32u);
    EXPECT_EQ(screen.pixel(1, 0), param.expected);
    EXPECT_EQ(screen.pixel(0, 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Formats, DispiLinear,
    ::testing::Values(LinearCase { 8, { 0x42 }, 0xff8200 }, LinearCase { 15, { 0x1f, 0x7c }, 0xff00ff },
        LinearCase { 16, { 0xe0, 0x07 }, 0x00ff00 }, LinearCase { 24, { 0x01, 0x02, 0x03 }, 0x030201 },
        LinearCase { 32, { 0x11, 0x22, 0x33, 0x44 }, 0x332211 }));

TEST_F(VgaFixture, DispiEightBitDacKeepsFullComponents)
{
    dispi(dispi::k_index_xres, 16);
    dispi(dispi::k_index_yres, 16);
    dispi(dispi::k_index_bpp, 8);
    dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_lfb_enabled | dispi::k_8bit_dac);
    dac(3, 0xfe, 0x80, 0x01);
    vga->vram()[0] = 3;
    display_on();
    (void)render(0);
    EXPECT_EQ(screen.pixel(0, 0), 0xfe8001u);
}

TEST_F(VgaFixture, DispiModesAreClampedToVideoMemory)
{
    make(1 << 20);
    dispi(dispi::k_index_xres, 4000);
    dispi(dispi::k_index_yres, 4000);
    dispi(dispi::k_index_bpp, 32);
    dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_noclearmem);
    display_on();
    EXPECT_EQ(dispi_read(dispi::k_index_xres), dispi::k_max_xres);
    EXPECT_EQ(dispi_read(dispi::k_index_yres), (1 << 20) / (2560 * 4));
    (void)render(0);
    EXPECT_EQ(screen.width(), 2560u);
    EXPECT_EQ(screen.height(), 102u);

    dispi(dispi::k_index_y_offset, 5000); // far past memory
    EXPECT_EQ(dispi_read(dispi::k_index_y_offset), 0);
    dispi(dispi::k_index_bank, 16); // 16 * 64 KiB = 1 MiB: past the end
    EXPECT_EQ(dispi_read(dispi::k_index_bank), 0);
    dispi(dispi::k_index_bank, 15);
    EXPECT_EQ(dispi_read(dispi::k_index_bank), 15);
    dispi(dispi::k_index_bpp, 16); // ignored while enabled
    EXPECT_EQ(dispi_read(dispi::k_index_bpp), 32);
    dispi(dispi::k_index_virt_width, 0xffff); // would not fit: ignored
    EXPECT_EQ(dispi_read(dispi::k_index_virt_width), 2560);
    (void)render(10);
}

TEST_F(VgaFixture, DispiModeIsBlankWithoutPaletteAddressSource)
{
    dispi(dispi::k_index_xres, 64);
    dispi(dispi::k_index_yres, 32);
    dispi(dispi::k_index_bpp, 32);
    dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_lfb_enabled);
    std::memset(vga->vram().data(), 0x7f, 64 * 4);
    (void)render(0);
    EXPECT_EQ(screen.width(), 640u); // blank: the size before
    display_on(); // what bochs-drm and OVMF write to unblank: 0x20 to 0x3c0
    auto update = render(10);
    EXPECT_TRUE(update.resized);
    EXPECT_EQ(screen.width(), 64u);
    EXPECT_EQ(screen.pixel(0, 0), 0x7f7f7fu);
}

TEST_F(VgaFixture, DispiBadBppFallsBackToEight)
{
    dispi(dispi::k_index_bpp, 7);
    dispi(dispi::k_index_enable, dispi::k_enabled);
    EXPECT_EQ(dispi_read(dispi::k_index_bpp), 8);
}

TEST_F(VgaFixture, DispiBankedWindowWritesLinearMemory)
{
    dispi(dispi::k_index_xres, 1024);
    dispi(dispi::k_index_yres, 768);
    dispi(dispi::k_index_bpp, 8);
    dispi(dispi::k_index_enable, dispi::k_enabled);
    dispi(dispi::k_index_bank, 3);
    poke(0x10, 0x77);
    EXPECT_EQ(vga->vram()[3 * 0x10000 + 0x10], 0x77);
    EXPECT_EQ(peek(0x10), 0x77);
}

TEST_F(VgaFixture, EnablingClearsMemoryUnlessAsked)
{
    vga->vram()[100] = 9;
    dispi(dispi::k_index_xres, 64);
    dispi(dispi::k_index_yres, 64);
    dispi(dispi::k_index_bpp, 32);
    dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_noclearmem);
    EXPECT_EQ(vga->vram()[100], 9);
    dispi(dispi::k_index_enable, 0);
    dispi(dispi::k_index_enable, dispi::k_enabled);
    EXPECT_EQ(vga->vram()[100], 0);
}

// ---- Dirty rectangles and resizes, with the framebuffer behind a slot ------------------------

struct VgaOnPci : VgaFixture {
    Bus mmio { "mmio" };
    Bus pio { "pio" };
    PciRoot root { mmio, pio,
        PciWindows { .mmio32_start = 0xc000'0000, .mmio32_end = 0xfec0'0000, .io_start = 0xc000, .io_end = 0x10000 },
        [](uint8_t) {} };

    // The PCI root holds the device too: it goes with the root, while the buses still exist.
    void TearDown() override { vga.reset(); }
    void SetUp() override
    {
        make(16 << 20, std::vector<uint8_t> { 0x55, 0xaa, 0x40, 0x12 });
        auto slot = root.add_device(vga, 2);
        ASSERT_TRUE(slot);
    }
    uint32_t config32(uint16_t offset)
    {
        std::array<uint8_t, 4> bytes {};
        root.config_read(2, 0, offset, bytes);
        uint32_t value;
        std::memcpy(&value, bytes.data(), 4);
        return value;
    }
    void set_config32(uint16_t offset, uint32_t value)
    {
        std::array<uint8_t, 4> bytes;
        std::memcpy(bytes.data(), &value, 4);
        root.config_write(2, 0, offset, bytes);
    }
    void put_pixel(uint32_t x, uint32_t y, uint32_t value)
    {
        std::memcpy(vga->vram().data() + (size_t { y } * 1024 + x) * 4, &value, 4);
    }
    void set_mode_1024x768x32()
    {
        dispi(dispi::k_index_xres, 1024);
        dispi(dispi::k_index_yres, 768);
        dispi(dispi::k_index_bpp, 32);
        dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_lfb_enabled);
        display_on();
    }
};

TEST_F(VgaOnPci, IdentifiesAsQemuStdVga)
{
    EXPECT_EQ(config32(0x00), 0x1111'1234u);
    EXPECT_EQ(config32(0x08) >> 8, 0x03'00'00u);
    EXPECT_EQ(config32(0x2c), 0x1100'1af4u);
    EXPECT_EQ(config32(0x10) & 0xf, 0x8u); // prefetchable 32-bit memory
}

TEST_F(VgaOnPci, FramebufferSlotFollowsBarZero)
{
    auto first = vga->bar_mapping(0);
    ASSERT_TRUE(first);
    const FakeSlot* slot = kvm.slot_at(*first);
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(slot->address, *first);
    EXPECT_EQ(slot->size, 16u << 20);
    EXPECT_EQ(slot->host, vga->vram().data());
    EXPECT_EQ(slot->access, SlotAccess::ReadWriteDirtyLog);

    set_config32(0x10, 0xe000'0000);
    EXPECT_EQ(kvm.slot_at(*first), nullptr);
    ASSERT_NE(kvm.slot_at(0xe000'0000), nullptr);
    EXPECT_EQ(kvm.slots.size(), 1u);

    set_config32(0x04, 0); // memory decoding off
    EXPECT_TRUE(kvm.slots.empty());
    set_config32(0x04, pci::k_command_memory | pci::k_command_io);
    EXPECT_EQ(kvm.slots.size(), 1u);
}

TEST_F(VgaOnPci, BarOverRamFallsBackToExits)
{
    set_config32(0x10, 0x0400'0000); // inside the fake RAM
    EXPECT_TRUE(kvm.slots.empty());
    std::array<uint8_t, 4> bytes { 1, 2, 3, 4 };
    EXPECT_TRUE(mmio.write(0x0400'0010, bytes));
    EXPECT_EQ(vga->vram()[0x12], 3);
    std::array<uint8_t, 2> back {};
    EXPECT_TRUE(mmio.read(0x0400'0011, back));
    EXPECT_EQ(back[0], 2);
}

TEST_F(VgaOnPci, DirtyRectanglesOnlyForThePixelsThatChanged)
{
    set_mode_1024x768x32();
    auto first = render(0);
    EXPECT_TRUE(first.resized);
    EXPECT_TRUE(render(30).rects.empty());

    // One line is one 4 KiB page at 1024 x 32 bpp.
    vga->vram()[10 * 4096 + 8] = 0xff;
    kvm.guest_wrote(10);
    auto update = render(60);
    EXPECT_FALSE(update.resized);
    ASSERT_EQ(update.rects.size(), 1u);
    EXPECT_EQ(update.rects[0], (DirtyRect { 2, 10, 1, 1 }));
    EXPECT_EQ(screen.pixel(2, 10), 0x0000ffu);

    // Pages the guest wrote back unchanged (fbcon redrawing the same text) name nothing.
    kvm.guest_wrote(20);
    kvm.guest_wrote(21);
    kvm.guest_wrote(500);
    EXPECT_TRUE(render(90).rects.empty());

    // Two adjacent lines make one rectangle as wide as both lines' changes.
    put_pixel(5, 20, 0x123456);
    put_pixel(9, 21, 0x654321);
    put_pixel(1000, 500, 0xffffff);
    kvm.guest_wrote(20);
    kvm.guest_wrote(21);
    kvm.guest_wrote(500);
    update = render(120);
    ASSERT_EQ(update.rects.size(), 2u);
    EXPECT_EQ(update.rects[0], (DirtyRect { 5, 20, 5, 2 }));
    EXPECT_EQ(update.rects[1], (DirtyRect { 1000, 500, 1, 1 }));
    EXPECT_EQ(screen.pixel(9, 21), 0x654321u);
    EXPECT_GT(kvm.log_reads, 0);

    // A page the log does not name is not looked at; it is when the log names it.
    put_pixel(0, 30, 0x0000ff);
    EXPECT_TRUE(render(150).rects.empty());
    EXPECT_EQ(screen.pixel(0, 30), 0u);
    kvm.guest_wrote(30);
    update = render(180);
    ASSERT_EQ(update.rects.size(), 1u);
    EXPECT_EQ(update.rects[0], (DirtyRect { 0, 30, 1, 1 }));
}

// fbcon scrolling on bochs-drm: the whole framebuffer rewritten, shifted by a text line. The
// consumer's surface ends up equal to video memory (the X byte cleared), whatever it held.
TEST_F(VgaOnPci, ThirtyTwoBppSurfaceEqualsVideoMemoryAfterAScroll)
{
    set_mode_1024x768x32();
    auto pattern = [](uint32_t x, uint32_t y) { return (x * 2654435761u) ^ (y * 40503u) ^ (x / 8 == y / 16 ? 0xff00'0000 : 0); };
    for (uint32_t y = 0; y < 768; ++y) {
        for (uint32_t x = 0; x < 1024; ++x)
            put_pixel(x, y, pattern(x, y));
    }
    (void)render(0);
    auto same_as_memory = [&] {
        for (uint32_t y = 0; y < 768; ++y) {
            for (uint32_t x = 0; x < 1024; ++x) {
                uint32_t pixel;
                std::memcpy(&pixel, vga->vram().data() + (size_t { y } * 1024 + x) * 4, 4);
                if (screen.pixel(x, y) != (pixel & 0x00ff'ffff))
                    return testing::AssertionFailure() << "pixel " << x << "," << y;
            }
        }
        return testing::AssertionSuccess();
    };
    EXPECT_TRUE(same_as_memory());

    std::memmove(vga->vram().data(), vga->vram().data() + 16 * 4096, 752 * 4096);
    std::memset(vga->vram().data() + 752 * 4096, 0, 16 * 4096);
    for (uint64_t page = 0; page < 768; ++page)
        kvm.guest_wrote(page);
    auto update = render(30);
    EXPECT_FALSE(update.resized);
    EXPECT_FALSE(update.rects.empty());
    EXPECT_TRUE(same_as_memory());

    // Redraw::Everything (a new consumer): whatever the surface held, it ends up the same.
    std::ranges::fill(std::span(screen.row(0), size_t { 1024 } * 768), 0xdead'beefu);
    update = render(60, Redraw::Everything);
    EXPECT_TRUE(update.resized);
    EXPECT_TRUE(same_as_memory());
}

TEST_F(VgaOnPci, OnlyTheXByteChangingNamesNothing)
{
    set_mode_1024x768x32();
    put_pixel(3, 4, 0x0011'2233);
    kvm.guest_wrote(4);
    (void)render(0);
    put_pixel(3, 4, 0xff11'2233);
    kvm.guest_wrote(4);
    EXPECT_TRUE(render(30).rects.empty());
    EXPECT_EQ(screen.pixel(3, 4), 0x11'2233u);
}

// Other depths are drawn aside a line at a time and stored where they differ, with the same
// rectangles; a mode change at the same size redraws through the converter.
TEST_F(VgaOnPci, SixteenBppAfterThirtyTwoRendersThroughTheConverter)
{
    set_mode_1024x768x32();
    put_pixel(0, 0, 0x00ff'ffff);
    kvm.guest_wrote(0);
    (void)render(0);
    ASSERT_EQ(screen.pixel(0, 0), 0xffffffu);

    dispi(dispi::k_index_enable, 0);
    dispi(dispi::k_index_bpp, 16);
    dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_lfb_enabled);
    display_on();
    auto put565 = [&](uint32_t x, uint32_t y, uint16_t value) {
        std::memcpy(vga->vram().data() + (size_t { y } * 1024 + x) * 2, &value, 2);
    };
    put565(1, 0, 0xf800); // red
    put565(1023, 767, 0x07e0); // green
    auto update = render(30);
    EXPECT_FALSE(update.resized); // 1024x768 as before
    ASSERT_FALSE(update.rects.empty());
    EXPECT_EQ(screen.pixel(0, 0), 0u); // memory was cleared at the mode change
    EXPECT_EQ(screen.pixel(1, 0), 0xff0000u);
    EXPECT_EQ(screen.pixel(1023, 767), 0x00ff00u);

    // A page rewritten the same names nothing; one pixel changed names that pixel.
    kvm.guest_wrote(0);
    EXPECT_TRUE(render(60).rects.empty());
    put565(700, 1, 0x001f); // blue; line 1 is in page 0 at 2 KiB a line
    kvm.guest_wrote(0);
    update = render(90);
    ASSERT_EQ(update.rects.size(), 1u);
    EXPECT_EQ(update.rects[0], (DirtyRect { 700, 1, 1, 1 }));
    EXPECT_EQ(screen.pixel(700, 1), 0x0000ffu);
}

TEST_F(VgaOnPci, ResizeOnlyWhenTheModeChanges)
{
    set_mode_1024x768x32();
    EXPECT_TRUE(render(0).resized);
    dispi(dispi::k_index_enable, 0);
    dispi(dispi::k_index_xres, 800);
    dispi(dispi::k_index_yres, 600);
    dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_lfb_enabled | dispi::k_noclearmem);
    auto update = render(30);
    EXPECT_TRUE(update.resized);
    EXPECT_EQ(screen.width(), 800u);
    dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_lfb_enabled | dispi::k_noclearmem);
    update = render(60);
    EXPECT_FALSE(update.resized);
}

TEST_F(VgaOnPci, MmioBarReachesVgaPortsDispiAndQemuRegisters)
{
    auto bar2 = vga->bar_mapping(2);
    ASSERT_TRUE(bar2);
    std::array<uint8_t, 2> word { 0x00, 0x04 };                // 1024
    EXPECT_TRUE(mmio.write(*bar2 + 0x500 + 2 * dispi::k_index_xres, word));
    EXPECT_EQ(dispi_read(dispi::k_index_xres), 1024);
    std::array<uint8_t, 2> id {};
    EXPECT_TRUE(mmio.read(*bar2 + 0x500, id));
    EXPECT_EQ(id[0] | id[1] << 8, dispi::k_id5);
    std::array<uint8_t, 4> size {};
    EXPECT_TRUE(mmio.read(*bar2 + 0x600, size));
    EXPECT_EQ(size[0], 8);
    std::array<uint8_t, 1> index { 0x02 };
    EXPECT_TRUE(mmio.write(*bar2 + 0x400 + 4, index)); // 0x3c4
    std::array<uint8_t, 1> value { 0x0c };
    EXPECT_TRUE(mmio.write(*bar2 + 0x400 + 5, value)); // 0x3c5
    out(0x3c4, 2);
    EXPECT_EQ(in(0x3c5), 0x0c);
}

TEST_F(VgaOnPci, ExpansionRomIsSizedEnabledAndRead)
{
    set_config32(0x30, 0xffff'f800);
    EXPECT_EQ(config32(0x30), 0xffff'f800u); // 2 KiB ROM, disabled
    set_config32(0x30, 0xfeb0'0000 | 1);
    std::array<uint8_t, 2> signature {};
    EXPECT_TRUE(mmio.read(0xfeb0'0000, signature));
    EXPECT_EQ(signature[0], 0x55);
    EXPECT_EQ(signature[1], 0xaa);
    std::array<uint8_t, 1> past {};
    EXPECT_TRUE(mmio.read(0xfeb0'0010, past));
    EXPECT_EQ(past[0], 0);
    set_config32(0x30, 0xfeb0'0000); // disabled: nothing there
    EXPECT_FALSE(mmio.read(0xfeb0'0000, signature));
}

// SeaBIOS finds the VGA BIOS through the ROM BAR: a 64 KiB ROM whose PCI data structure names
// this device (PCI Firmware 3.0 §5.1).
TEST(VgaBios, SeaBiosVgaRomMatchesTheDevice)
{
    auto rom = read_whole_file(k_std_vga_bios_path);
    if (!rom)
        GTEST_SKIP() << k_std_vga_bios_path << " is not installed";
    FakeKvm kvm;
    Bus mmio { "mmio" };
    Bus pio { "pio" };
    PciRoot root { mmio, pio,
        PciWindows { .mmio32_start = 0xc000'0000, .mmio32_end = 0xfec0'0000, .io_start = 0xc000, .io_end = 0x10000 },
        [](uint8_t) {} };
    auto vga = StdVga::create(kvm, kvm, StdVgaConfig { 16 << 20, *rom });
    ASSERT_TRUE(vga);
    ASSERT_TRUE(root.add_device(*vga, 2));
    std::array<uint8_t, 4> all_ones { 0xff, 0xff, 0xff, 0xff };
    root.config_write(2, 0, pci::k_expansion_rom, all_ones);
    std::array<uint8_t, 4> size {};
    root.config_read(2, 0, pci::k_expansion_rom, size);
    EXPECT_EQ(size[2] | size[3] << 8, 0xffff); // 64 KiB, enable bit set
    std::array<uint8_t, 4> address { 0x01, 0x00, 0xb0, 0xfe };
    root.config_write(2, 0, pci::k_expansion_rom, address);
    std::vector<uint8_t> copy(rom->size());
    ASSERT_TRUE(mmio.read(0xfeb0'0000, copy));
    EXPECT_EQ(copy, *rom);
    ASSERT_GE(copy.size(), 0x1au);
    const size_t pcir = copy[0x18] | copy[0x19] << 8;
    ASSERT_LT(pcir + 8, copy.size());
    EXPECT_EQ(std::string(copy.begin() + static_cast<std::ptrdiff_t>(pcir), copy.begin() + static_cast<std::ptrdiff_t>(pcir) + 4), "PCIR");
    EXPECT_EQ(copy[pcir + 4] | copy[pcir + 5] << 8, 0x1234);
    EXPECT_EQ(copy[pcir + 6] | copy[pcir + 7] << 8, 0x1111);
}

TEST_F(VgaFixture, SaveAndRestoreKeepRegisters)
{
    text_mode(false);
    dac(5, 1, 2, 3);
    auto state = vga->save();
    make(16 << 20);
    vga->restore(state);
    out(0x3c7, 5);
    EXPECT_EQ(in(0x3c9), 1);
    out(0x3d4, vga::k_crtc_offset);
    EXPECT_EQ(in(0x3d5), 40);
}

// A device used for a while and reset behaves as a new one: the fuzz target keeps one device
// for all its inputs and resets it before each, so an input runs the same first or millionth.
TEST_F(VgaFixture, ResetGivesThePowerOnStateOfANewDevice)
{
    auto script = [this](uint64_t now, DisplaySurface& surface) {
        std::vector<DisplayUpdate> updates;
        text_mode(true);
        put_char(0, 'A', 0x1f);
        updates.push_back(vga->render_update(now, surface, Redraw::Changes));
        dispi(dispi::k_index_xres, 320);
        dispi(dispi::k_index_yres, 200);
        dispi(dispi::k_index_bpp, 8);
        dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_noclearmem);
        poke(5, 0x0f);
        updates.push_back(vga->render_update(now + 300, surface, Redraw::Changes));
        return updates;
    };
    (void)render(0); // the blank 640x480 screen, then larger and smaller modes
    dispi(dispi::k_index_xres, 1024);
    dispi(dispi::k_index_yres, 768);
    dispi(dispi::k_index_bpp, 32);
    dispi(dispi::k_index_enable, dispi::k_enabled);
    display_on();
    (void)render(10);
    (void)script(20, screen);
    vga->reset();
    screen.clear(); // the consumer's surface as a new consumer's (no size)

    auto used = vga;
    make(16 << 20);
    auto fresh = vga;
    DisplaySurface fresh_screen;
    EXPECT_TRUE(used->save() == fresh->save());
    EXPECT_TRUE(std::ranges::all_of(used->vram(), [](uint8_t b) { return b == 0; }));

    vga = used;
    auto used_updates = script(1000, screen);
    vga = fresh;
    auto fresh_updates = script(1000, fresh_screen);
    ASSERT_EQ(used_updates.size(), fresh_updates.size());
    for (size_t i = 0; i < used_updates.size(); ++i) {
        EXPECT_EQ(used_updates[i].resized, fresh_updates[i].resized) << i;
        EXPECT_EQ(used_updates[i].rects, fresh_updates[i].rects) << i;
    }
    ASSERT_EQ(screen.width(), fresh_screen.width());
    ASSERT_EQ(screen.height(), fresh_screen.height());
    EXPECT_EQ(std::memcmp(screen.data(), fresh_screen.data(), size_t { screen.width() } * screen.height() * 4), 0);
    EXPECT_TRUE(used->save() == fresh->save());
}

TEST(DisplaySurface, ResizeIntoTheSameBufferClearsIt)
{
    DisplaySurface surface;
    EXPECT_TRUE(surface.resize(640, 480));
    const uint32_t* buffer = surface.data();
    surface.row(479)[639] = 0xffffff;
    EXPECT_FALSE(surface.resize(640, 480));
    EXPECT_EQ(surface.data(), buffer);
    EXPECT_EQ(surface.pixel(639, 479), 0u);
    surface.row(0)[0] = 7;
    surface.clear();
    EXPECT_EQ(surface.width(), 0u);
    EXPECT_TRUE(surface.resize(720, 400)); // fits in the 640x480 buffer
    EXPECT_EQ(surface.data(), buffer);
    EXPECT_EQ(surface.pixel(0, 0), 0u);
    EXPECT_TRUE(surface.resize(160, 100)); // far smaller: a buffer of its own
    EXPECT_TRUE(surface.resize(1024, 768)); // larger
    EXPECT_EQ(surface.pixel(1023, 767), 0u);
}

// ---- The refresh --------------------------------------------------------------------------

struct RecordingConsumer final : DisplayConsumer {
    bool refresh_from(DisplaySource& source, uint64_t now_ms, Redraw redraw) override
    {
        auto update = source.render_update(now_ms, surface, redraw);
        width = surface.width();
        if (!update.resized && update.rects.empty())
            return false;
        updates.push_back(update);
        return true;
    }
    DisplaySurface surface;
    std::vector<DisplayUpdate> updates;
    uint32_t width = 0;
};

TEST_F(VgaFixture, RefreshHandsUpdatesToTheConsumerOnly)
{
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    auto refresh = DisplayRefresh::create(**loop, *vga);
    ASSERT_TRUE(refresh);
    RecordingConsumer consumer;
    ASSERT_TRUE((*refresh)->set_consumer(&consumer));
    (*refresh)->refresh();
    ASSERT_EQ(consumer.updates.size(), 1u);
    EXPECT_TRUE(consumer.updates[0].resized);
    EXPECT_EQ(consumer.width, 640u);
    (*refresh)->refresh(); // nothing changed: nothing handed on
    EXPECT_EQ(consumer.updates.size(), 1u);
    ASSERT_TRUE((*refresh)->set_consumer(nullptr));
}

TEST_F(VgaFixture, RefreshBacksOffWhileNothingChangesAndComesBackOnChangeOrInput)
{
    using std::chrono::milliseconds;
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    auto refresh = DisplayRefresh::create(**loop, *vga);
    ASSERT_TRUE(refresh);
    RecordingConsumer consumer;
    ASSERT_TRUE((*refresh)->set_consumer(&consumer));
    (*refresh)->refresh(); // the announcement is a change
    EXPECT_EQ((*refresh)->next_wait(), DisplayRefresh::k_default_period);
    std::vector<milliseconds> waits;
    for (int i = 0; i < 6; ++i) {
        (*refresh)->refresh();
        waits.push_back((*refresh)->next_wait());
    }
    EXPECT_EQ(waits, (std::vector<milliseconds> { milliseconds(60), milliseconds(120), milliseconds(240),
                         milliseconds(480), DisplayRefresh::k_idle_period, DisplayRefresh::k_idle_period }));
    EXPECT_EQ(consumer.updates.size(), 1u);
    (*refresh)->nudge(); // input: full rate again
    EXPECT_EQ((*refresh)->next_wait(), DisplayRefresh::k_default_period);
    (*refresh)->refresh();
    EXPECT_EQ((*refresh)->next_wait(), milliseconds(60));
    text_mode(false); // the guest changes the screen
    (*refresh)->refresh();
    EXPECT_EQ(consumer.updates.size(), 2u);
    EXPECT_EQ((*refresh)->next_wait(), DisplayRefresh::k_default_period);
    ASSERT_TRUE((*refresh)->set_consumer(nullptr));
}

TEST_F(VgaFixture, RefreshTimerRunsOnTheEventLoop)
{
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    auto refresh = DisplayRefresh::create(**loop, *vga, std::chrono::milliseconds(1));
    ASSERT_TRUE(refresh);
    struct StopAfterTwo final : DisplayConsumer {
        EventLoop* loop = nullptr;
        std::function<void()> after_first;
        int updates = 0;
        DisplaySurface surface;
        bool refresh_from(DisplaySource& source, uint64_t now_ms, Redraw redraw) override
        {
            auto update = source.render_update(now_ms, surface, redraw);
            if (!update.resized && update.rects.empty())
                return false;
            if (++updates == 1)
                after_first();
            else
                loop->stop();
            return true;
        }
    } consumer;
    consumer.loop = loop->get();
    // The first refresh announces the surface; the guest then changes the screen.
    consumer.after_first = [this] { text_mode(false); };
    ASSERT_TRUE((*refresh)->set_consumer(&consumer));
    (*loop)->run();
    EXPECT_EQ(consumer.updates, 2);
    EXPECT_EQ(consumer.surface.width(), 640u);
    EXPECT_EQ(consumer.surface.height(), 400u);
    ASSERT_TRUE((*refresh)->set_consumer(nullptr));
}

} // namespace
