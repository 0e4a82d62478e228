#pragma once
// QEMU's standard VGA (`-vga std`, `-device VGA`): PCI 1234:1111, class 0x0300, subsystem
// 1af4:1100. It wires the VGA register file, the planar memory logic and the Bochs DISPI
// extension to the guest:
//   - legacy ports 0x3b0-0x3df and DISPI ports 0x1ce/0x1cf (always decoded, as on a VGA);
//   - the legacy window 0xA0000-0xBFFFF (MMIO exits: planes, latches, write modes);
//   - BAR0: the video memory, a memfd mapped as a KVM memory slot with dirty logging at the
//     BAR's address, so framebuffer writes cost no exit (the slot follows the BAR; an access the
//     slot cannot serve, because it overlaps memory, exits and is served here);
//   - BAR2 (4 KiB MMIO, QEMU's layout): 0x400-0x41f the ports 0x3c0-0x3df, 0x500-0x515 the DISPI
//     registers as 16-bit words, 0x600 QEMU's extended registers (size, framebuffer byte order);
//   - the expansion ROM: the VGA BIOS (SeaBIOS's vgabios-stdvga.bin).
// As a DisplaySource it renders the screen into its consumer's 32-bit surface on the event
// loop's thread.
//
// Locking: one mutex over registers, planar logic, DISPI state and rendering; taken after the
// PCI configuration lock (bar_remapped) and after the display consumer's surface lock
// (render_update), and never around a PCI call.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/mapping.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "bus/bus_device.h"
#include "devices/display/bochs_dispi.h"
#include "devices/display/display_surface.h"
#include "devices/display/graphics_renderer.h"
#include "devices/display/page_bitmap.h"
#include "devices/display/text_renderer.h"
#include "devices/display/vga_memory.h"
#include "devices/display/vga_registers.h"
#include "devices/pci/pci_device.h"
#include "memory/dirty_log.h"
#include "memory/memory_slots.h"

namespace vireo {

// The VGA BIOS QEMU offers for this device (Debian's `seabios` package).
inline constexpr const char* k_std_vga_bios_path = "/usr/share/seabios/vgabios-stdvga.bin";

struct StdVgaConfig {
    uint64_t vram_size = 16 << 20; // a power of two, 1-256 MiB (vgamem_mb)
    std::vector<uint8_t> rom;      // the VGA BIOS; empty: no expansion ROM
};

class StdVga final : public PciDevice, public DisplaySource {
public:
    static constexpr int k_framebuffer_bar = 0;
    static constexpr int k_mmio_bar = 2;
    static constexpr uint64_t k_mmio_size = 0x1000;
    static constexpr uint64_t k_mmio_vga_ports = 0x400;  // 0x3c0-0x3df
    static constexpr uint64_t k_mmio_dispi = 0x500;      // DISPI register n at 0x500 + 2n
    static constexpr uint64_t k_mmio_qemu_ext = 0x600;   // u32 size, u32 byte order
    static constexpr uint32_t k_little_endian = 0x1e1e'1e1e;
    static constexpr uint32_t k_big_endian = 0xbebe'bebe;

    // slots/dirty_log: where the framebuffer BAR is mapped and its dirty pages read (Vm).
    [[nodiscard]] static Result<std::shared_ptr<StdVga>> create(MemorySlots& slots, DirtyLog& dirty_log,
        StdVgaConfig config);
    ~StdVga() override;

    // The bus sides: register at vga::k_port_base (vga::k_port_count ports), dispi::k_index_port
    // (3 ports: a 16-bit access to 0x1cf spans 0x1d0), and VgaMemory::k_window_start.
    [[nodiscard]] std::shared_ptr<BusDevice> vga_ports() { return m_vga_ports; }
    [[nodiscard]] std::shared_ptr<BusDevice> dispi_ports() { return m_dispi_ports; }
    [[nodiscard]] std::shared_ptr<BusDevice> legacy_window() { return m_legacy_window; }
    static constexpr uint64_t k_dispi_port_count = 3;

    // DisplaySource (event loop thread)
    [[nodiscard]] DisplayUpdate render_update(uint64_t now_ms, DisplaySurface& surface, Redraw redraw) override;

    // The guest-visible register state (video memory itself is memory, like guest RAM).
    struct State {
        VgaRegisters::State registers;
        VgaMemory::State memory;
        BochsDispi::State dispi;
        uint32_t byte_order = k_little_endian;
        bool operator==(const State&) const = default;
    };
    [[nodiscard]] State save() const;
    void restore(const State& state);
    // Back to the power-on state of the VGA function: registers, latches, DISPI and byte order
    // as constructed, video memory zeroed, rendering as before its first refresh (the surface is
    // the consumer's). The PCI side (configuration space, BARs and the framebuffer slot that
    // follows BAR0) stays as it is.
    void reset();

    [[nodiscard]] uint64_t vram_size() const { return m_vram.size(); }
    [[nodiscard]] std::span<uint8_t> vram() const { return { m_vram.data(), m_vram.size() }; }

    // Port-level access as the guest makes it (also what the bus sides call).
    void port_read(uint16_t port, std::span<uint8_t> data);
    void port_write(uint16_t port, std::span<const uint8_t> data);
    void window_read(uint64_t offset, std::span<uint8_t> data);
    void window_write(uint64_t offset, std::span<const uint8_t> data);

protected:
    void bar_read(int bar, uint64_t offset, std::span<uint8_t> data) override;
    void bar_write(int bar, uint64_t offset, std::span<const uint8_t> data) override;
    void bar_remapped(int bar, std::optional<uint64_t> old_address, std::optional<uint64_t> new_address) override;

private:
    class Ports;
    class Window;

    StdVga(MemorySlots& slots, DirtyLog& dirty_log, UniqueFd fd, Mapping vram, std::vector<uint8_t> rom);

    // Under m_lock.
    [[nodiscard]] uint8_t read_vga_port_locked(uint16_t port);
    void write_vga_port_locked(uint16_t port, uint8_t value);
    [[nodiscard]] uint16_t read_dispi_locked(uint16_t index);
    void write_dispi_locked(uint16_t index, uint16_t value);
    void collect_dirty_locked(PageBitmap& pages);

    MemorySlots& m_slots;
    DirtyLog& m_dirty_log;
    UniqueFd m_vram_fd;
    Mapping m_vram;

    mutable std::mutex m_lock;
    VgaRegisters m_registers;
    PageBitmap m_written; // pages written through the legacy window, BAR0 exits or DISPI clears
    VgaMemory m_memory;
    BochsDispi m_dispi;
    uint32_t m_byte_order = k_little_endian;
    std::optional<SlotId> m_framebuffer_slot;
    bool m_dirty_log_failed = false;
    std::vector<uint64_t> m_log_words;

    // Rendering (event loop thread, under m_lock) into the consumer's surface, which holds what
    // the last render_update drew unless it says Redraw::Everything.
    enum class Shown { Nothing, Blank, Text, Graphics };
    Shown m_shown = Shown::Nothing;
    TextLayout m_text_layout;
    GraphicsLayout m_graphics_layout;
    TextRenderer m_text;
    GraphicsRenderer m_graphics;
    bool m_redraw = true;
    uint64_t m_rendered_generation = ~uint64_t { 0 };
    bool m_cursor_phase = false;
    bool m_blink_phase = false;

    std::shared_ptr<BusDevice> m_vga_ports;
    std::shared_ptr<BusDevice> m_dispi_ports;
    std::shared_ptr<BusDevice> m_legacy_window;
};

} // namespace vireo
