#pragma once
// The register file of a VGA (IBM VGA Technical Reference; FreeVGA): miscellaneous output,
// sequencer, graphics controller, CRT controller, attribute controller (index/data flip-flop at
// 0x3c0, reset by reading input status 1) and the DAC (palette with auto-incrementing read and
// write indices). It only stores and decodes registers; video memory is vga_memory.h's,
// rendering is the renderers'. Not thread-safe: the device holds its lock around it.
#include <array>
#include <cstddef>
#include <cstdint>

namespace vireo {

namespace vga {
constexpr uint16_t k_port_base = 0x3b0; // 0x3b0-0x3df: mono CRTC, colour CRTC and the rest
constexpr uint16_t k_port_count = 0x30;

constexpr size_t k_seq_count = 5;
constexpr size_t k_gc_count = 9;
constexpr size_t k_crtc_count = 25;
constexpr size_t k_attr_count = 21;

// Sequencer
constexpr uint8_t k_seq_clocking = 1;    // bit 0: 8-dot characters, bit 3: half dot clock, bit 5: screen off
constexpr uint8_t k_seq_map_mask = 2;
constexpr uint8_t k_seq_char_map = 3;
constexpr uint8_t k_seq_memory_mode = 4; // bit 2: odd/even off, bit 3: chain-4
// Graphics controller
constexpr uint8_t k_gc_set_reset = 0;
constexpr uint8_t k_gc_enable_set_reset = 1;
constexpr uint8_t k_gc_color_compare = 2;
constexpr uint8_t k_gc_data_rotate = 3;   // bits 2:0 count, bits 4:3 function
constexpr uint8_t k_gc_read_map = 4;
constexpr uint8_t k_gc_mode = 5;          // bits 1:0 write mode, bit 3 read mode, bit 4 odd/even, bit 5 CGA shift, bit 6 256-colour
constexpr uint8_t k_gc_misc = 6;          // bit 0 graphics, bit 1 chain odd/even, bits 3:2 memory map
constexpr uint8_t k_gc_color_dont_care = 7;
constexpr uint8_t k_gc_bit_mask = 8;
// CRT controller
constexpr uint8_t k_crtc_h_display_end = 0x01;
constexpr uint8_t k_crtc_overflow = 0x07;
constexpr uint8_t k_crtc_max_scan_line = 0x09;
constexpr uint8_t k_crtc_cursor_start = 0x0a;
constexpr uint8_t k_crtc_cursor_end = 0x0b;
constexpr uint8_t k_crtc_start_high = 0x0c;
constexpr uint8_t k_crtc_start_low = 0x0d;
constexpr uint8_t k_crtc_cursor_high = 0x0e;
constexpr uint8_t k_crtc_cursor_low = 0x0f;
constexpr uint8_t k_crtc_v_retrace_end = 0x11; // bit 7: registers 0-7 write-protected
constexpr uint8_t k_crtc_v_display_end = 0x12;
constexpr uint8_t k_crtc_offset = 0x13;
constexpr uint8_t k_crtc_mode_control = 0x17;
// Attribute controller
constexpr uint8_t k_attr_mode_control = 0x10; // bit 0 graphics, bit 2 line graphics, bit 3 blink, bit 6 8-bit, bit 7 P54 select
constexpr uint8_t k_attr_plane_enable = 0x12;
constexpr uint8_t k_attr_color_select = 0x14;
constexpr uint8_t k_attr_index_pas = 0x20; // palette address source: set = the display runs
} // namespace vga

class VgaRegisters {
public:
    struct State {
        uint8_t misc = 0;
        uint8_t feature_control = 0;
        uint8_t seq_index = 0;
        std::array<uint8_t, vga::k_seq_count> seq {};
        uint8_t gc_index = 0;
        std::array<uint8_t, vga::k_gc_count> gc {};
        uint8_t crtc_index = 0;
        std::array<uint8_t, vga::k_crtc_count> crtc {};
        uint8_t attr_index = 0;
        bool attr_data_next = false; // the 0x3c0 flip-flop: the next write is data
        std::array<uint8_t, vga::k_attr_count> attr {};
        uint8_t pel_mask = 0xff;
        uint8_t dac_read_index = 0;
        uint8_t dac_write_index = 0;
        uint8_t dac_read_component = 0;
        uint8_t dac_write_component = 0;
        bool dac_reading = false;               // the last index set was the read index (0x3c7 reads 3)
        std::array<uint8_t, 256 * 3> palette {}; // r, g, b per entry as written
        bool dac_8bit = false;                  // Bochs DISPI 8-bit DAC: components not masked to 6 bits
        uint8_t retrace_phase = 0;
        bool operator==(const State&) const = default;
    };

    // port: 0x3b0-0x3df. Ports of the CRTC not selected by misc bit 0 read all-ones.
    [[nodiscard]] uint8_t read(uint16_t port);
    void write(uint16_t port, uint8_t value);

    [[nodiscard]] uint8_t seq(size_t index) const { return m_state.seq[index]; }
    [[nodiscard]] uint8_t gc(size_t index) const { return m_state.gc[index]; }
    [[nodiscard]] uint8_t crtc(size_t index) const { return m_state.crtc[index]; }
    [[nodiscard]] uint8_t attr(size_t index) const { return m_state.attr[index]; }
    [[nodiscard]] uint8_t misc() const { return m_state.misc; }
    // The attribute controller passes video through (palette address source set); with it
    // clear the screen shows nothing, whatever the mode (DISPI modes included, as on QEMU).
    [[nodiscard]] bool video_enabled() const { return m_state.attr_index & vga::k_attr_index_pas; }
    // Video enabled and the sequencer's screen-off bit clear.
    [[nodiscard]] bool display_enabled() const
    {
        return video_enabled() && !(m_state.seq[vga::k_seq_clocking] & 0x20);
    }
    void set_dac_8bit(bool on) { m_state.dac_8bit = on; }
    // DAC entry as 0x00RRGGBB (6-bit components widened unless the DAC is 8-bit), after the
    // pel mask.
    [[nodiscard]] uint32_t dac_color(uint8_t index) const;
    // What the attribute controller makes of a 4-bit pixel or text colour: the DAC index.
    [[nodiscard]] uint8_t attribute_to_dac(uint8_t value) const;

    // Bumped by every write (the renderer's cue to look at the registers again).
    [[nodiscard]] uint64_t generation() const { return m_generation; }

    [[nodiscard]] State save() const { return m_state; }
    void restore(const State& state)
    {
        m_state = state;
        ++m_generation;
    }

private:
    [[nodiscard]] bool color_io() const { return m_state.misc & 1; }
    void write_crtc(uint8_t value);
    void write_dac_data(uint8_t value);
    [[nodiscard]] uint8_t read_dac_data();

    State m_state;
    uint64_t m_generation = 0;
};

} // namespace vireo
