#pragma once
// A PCI function (type 0 header): 256 bytes of configuration space with a writable mask, BARs
// that (re)register themselves on the MMIO/PIO bus when the guest programs them and enables
// decoding, a capability list, optional MSI-X, and INTx. Subclasses implement the BAR
// registers and add capabilities in their constructor.
//
// Locking: configuration accesses (vCPU threads) take m_config_lock; BAR moves update the bus
// under it (the bus releases its own lock before calling devices, so no inversion). BAR
// accesses do not take it: subclasses guard their register state themselves.
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "bus/bus.h"
#include "bus/interrupt.h"
#include "devices/pci/msix.h"
#include "devices/pci/pci_config.h"

namespace vireo {

enum class BarKind { Memory32, Memory64, Io };

struct PciIds {
    uint16_t vendor = 0;
    uint16_t device = 0;
    uint32_t class_code = 0; // class << 16 | subclass << 8 | prog-if
    uint8_t revision = 0;
    uint16_t subsystem_vendor = 0;
    uint16_t subsystem = 0;
};

// INTx wiring chosen by the machine: the line (IOAPIC/PIC input) and its number for the
// Interrupt Line register.
struct IntxRoute {
    std::shared_ptr<InterruptLine> line;
    uint8_t irq = 0xff;
};

class PciDevice {
public:
    virtual ~PciDevice();
    PciDevice(const PciDevice&) = delete;
    PciDevice& operator=(const PciDevice&) = delete;

    // Configuration space access from the host bridge (offset + size <= 256, any width).
    void config_read(uint16_t offset, std::span<uint8_t> data);
    void config_write(uint16_t offset, std::span<const uint8_t> data);

    // Set-up by PciRoot::add_device (before the guest runs).
    struct BarInfo {
        BarKind kind = BarKind::Memory32;
        uint64_t size = 0; // 0: BAR slot unused (or the upper half of a 64-bit BAR)
        bool prefetchable = false;
    };
    [[nodiscard]] BarInfo bar_info(int bar) const { return m_bars[static_cast<size_t>(bar)].info; }
    // Programs the BAR address as firmware would (no decoding until the command register enables it).
    void set_bar_address(int bar, uint64_t address);
    [[nodiscard]] std::optional<uint64_t> bar_mapping(int bar) const;
    void set_command(uint16_t command); // as a config write of the command register
    // address: the function's "bus:slot.function", which names its BARs on the buses ("pci
    // 00:04.0 bar1") for the exit profiler.
    void attach_buses(Bus& mmio, Bus& pio, std::string address = {});
    void set_intx(IntxRoute route);

    [[nodiscard]] Msix* msix() { return m_msix.get(); }
    // False for functions whose interrupts are not PCI INTx (chipset functions on ISA IRQs):
    // PciRoot then leaves their Interrupt Line and Pin registers as they set them.
    [[nodiscard]] virtual bool uses_pci_intx() const { return true; }

    // Reads an 8/16/32-bit config register (host side, for tests and subclasses).
    [[nodiscard]] uint32_t config_value(uint16_t offset, size_t size) const;

protected:
    explicit PciDevice(const PciIds& ids);

    // Declares BAR `bar` (size a power of two; Memory64 uses bar and bar + 1). Constructor only.
    void add_bar(int bar, BarKind kind, uint64_t size, bool prefetchable = false);
    // Declares the expansion ROM (config 0x30, PCI 3.0 §6.2.5.2) holding `image`: the guest
    // places it like a 32-bit memory BAR and reads it while its enable bit and memory decoding
    // are on; writes are dropped. Constructor only.
    void add_rom(std::vector<uint8_t> image);
    static constexpr int k_rom_window = pci::k_bar_count; // bar number of the ROM in callbacks
    // Appends a capability: `body` is everything after the id and next-pointer bytes; `writable`
    // (same length as body, or empty for read-only) marks bits the guest may change. Returns the
    // capability's offset in configuration space. Constructor only.
    uint16_t add_capability(uint8_t id, std::span<const uint8_t> body, std::span<const uint8_t> writable = {});
    // Adds an MSI-X capability with table and PBA in BAR `bar` at the given offsets.
    [[nodiscard]] Result<void> add_msix(uint16_t vectors, int bar, uint32_t table_offset, uint32_t pba_offset,
        MsiRouter& router);

    // Raw initialisation of configuration registers (constructor only).
    void init_config(uint16_t offset, uint32_t value, size_t size);
    // Lets the guest change the given bits of config byte `offset` (constructor only).
    void mark_writable(uint16_t offset, uint8_t mask) { m_writable[offset] = mask; }

    // INTx: asserts or deasserts INTA# (honours Command.INTx-disable; reflected in Status bit 3).
    void set_intx_level(bool high);

    // BAR register accesses (offset into the BAR). MSI-X table/PBA accesses never reach these.
    virtual void bar_read(int bar, uint64_t offset, std::span<uint8_t> data) = 0;
    virtual void bar_write(int bar, uint64_t offset, std::span<const uint8_t> data) = 0;
    // BAR `bar` was unmapped from old_address and/or mapped at new_address (under the config
    // lock): move whatever is tied to the address (ioeventfds).
    virtual void bar_remapped(int /*bar*/, std::optional<uint64_t> /*old_address*/,
        std::optional<uint64_t> /*new_address*/) { }
    // The guest wrote [offset, offset + size) of configuration space (under the config lock).
    virtual void config_written(uint16_t /*offset*/, size_t /*size*/) { }
    // A config register as config_value() reads it, for config_written() (the lock is held).
    [[nodiscard]] uint32_t config_value_locked(uint16_t offset, size_t size) const;
    // Sets config bytes from config_written() (the lock is held), whatever their writable mask.
    void set_config_locked(uint16_t offset, uint32_t value, size_t size);

private:
    class BarWindow;
    struct Bar {
        BarInfo info;
        std::optional<uint64_t> mapped; // address the range is registered at on the bus
        std::shared_ptr<BarWindow> window;
    };

    void dispatch_read(int bar, uint64_t offset, std::span<uint8_t> data);
    void dispatch_write(int bar, uint64_t offset, std::span<const uint8_t> data);
    uint64_t bar_address_locked(int bar) const;
    void update_bars_locked();
    // Moves one BAR's bus registration to `wanted` (or removes it) and tells the subclass.
    void move_bar_locked(int index, Bar& bar, std::optional<uint64_t> wanted);
    void read_rom(uint64_t offset, std::span<uint8_t> data) const;
    void update_intx_locked();

    mutable std::mutex m_config_lock;
    std::array<uint8_t, pci::k_config_size> m_config {};
    std::array<uint8_t, pci::k_config_size> m_writable {};
    uint16_t m_next_capability = pci::k_first_capability;
    uint16_t m_last_capability = 0;
    std::array<Bar, pci::k_bar_count> m_bars {};
    Bar m_rom;                        // the expansion ROM (size 0: none)
    std::vector<uint8_t> m_rom_image;
    Bus* m_mmio = nullptr;
    Bus* m_pio = nullptr;
    std::string m_address; // "00:04.0"

    std::unique_ptr<Msix> m_msix;
    int m_msix_bar = -1;
    uint32_t m_msix_table_offset = 0;
    uint32_t m_msix_pba_offset = 0;
    uint16_t m_msix_capability = 0;

    std::shared_ptr<InterruptLine> m_intx;
    bool m_intx_level = false;
    bool m_intx_asserted = false;
};

} // namespace vireo
