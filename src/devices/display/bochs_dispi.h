#pragma once
// The Bochs VBE "DISPI" interface (Bochs vbe.txt; the VESA BIOS of SeaBIOS and Linux's
// bochs-drm program it): an index port 0x1ce and a 16-bit data port 0x1cf (also reachable as
// 16-bit registers in the std VGA's MMIO BAR). Registers: ID, XRES, YRES, BPP, ENABLE, BANK,
// VIRT_WIDTH, VIRT_HEIGHT, X_OFFSET, Y_OFFSET, VIDEO_MEMORY_64K. Values that do not fit the video
// memory are clamped the way the hardware does it, so the mode always lies inside it.
#include <array>
#include <cstdint>
#include <optional>

namespace vireo {

namespace dispi {
constexpr uint16_t k_index_port = 0x1ce; // 0x1ce index, 0x1cf data
constexpr uint16_t k_port_count = 2;

constexpr uint16_t k_index_id = 0x0;
constexpr uint16_t k_index_xres = 0x1;
constexpr uint16_t k_index_yres = 0x2;
constexpr uint16_t k_index_bpp = 0x3;
constexpr uint16_t k_index_enable = 0x4;
constexpr uint16_t k_index_bank = 0x5;
constexpr uint16_t k_index_virt_width = 0x6;
constexpr uint16_t k_index_virt_height = 0x7;
constexpr uint16_t k_index_x_offset = 0x8;
constexpr uint16_t k_index_y_offset = 0x9;
constexpr uint16_t k_index_video_memory_64k = 0xa;
constexpr uint16_t k_register_count = 0xb;

constexpr uint16_t k_id0 = 0xb0c0;
constexpr uint16_t k_id5 = 0xb0c5;

constexpr uint16_t k_enabled = 0x01;
constexpr uint16_t k_getcaps = 0x02;
constexpr uint16_t k_8bit_dac = 0x20;
constexpr uint16_t k_lfb_enabled = 0x40;
constexpr uint16_t k_noclearmem = 0x80;

constexpr uint16_t k_max_xres = 2560;
constexpr uint16_t k_max_yres = 1600;
constexpr uint16_t k_max_bpp = 32;
} // namespace dispi

class BochsDispi {
public:
    struct State {
        uint16_t index = 0;
        std::array<uint16_t, dispi::k_register_count> regs {};
        bool getcaps = false; // XRES/YRES/BPP read the maximum values
        bool operator==(const State&) const = default;
    };
    // The linear mode in effect (enabled) and where it lies in video memory.
    struct Mode {
        bool enabled = false;
        uint32_t width = 0;
        uint32_t height = 0;
        uint32_t bpp = 0;
        uint64_t stride = 0; // bytes from one line to the next
        uint64_t start = 0;  // byte offset of the first visible pixel
        bool dac_8bit = false;
        bool operator==(const Mode&) const = default;
    };
    // What a write asks of the device.
    struct WriteEffect {
        bool mode_changed = false;
        uint64_t clear_bytes = 0; // clear video memory [0, clear_bytes), the visible lines (an enable without NOCLEARMEM)
    };

    explicit BochsDispi(uint64_t vram_size);

    [[nodiscard]] uint16_t index() const { return m_state.index; }
    void set_index(uint16_t index) { m_state.index = index; }
    [[nodiscard]] uint16_t read(uint16_t index) const;
    [[nodiscard]] WriteEffect write(uint16_t index, uint16_t value);

    [[nodiscard]] Mode mode() const;
    [[nodiscard]] bool enabled() const { return m_state.regs[dispi::k_index_enable] & dispi::k_enabled; }
    // Start of the 64 KiB bank the legacy window shows while the extension is enabled.
    [[nodiscard]] std::optional<uint64_t> bank_base() const;

    [[nodiscard]] State save() const { return m_state; }
    void restore(const State& state) { m_state = state; }

private:
    [[nodiscard]] static uint32_t bytes_per_pixel(uint32_t bpp) { return (bpp + 7) / 8; }
    [[nodiscard]] uint64_t line_bytes() const;
    void fix_up_on_enable();
    void clamp_offsets();

    uint64_t m_vram_size;
    State m_state;
};

} // namespace vireo
