#pragma once
// PCI bus 0 behind configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2): the address
// register at 0xcf8 (dword accesses only) and the data window 0xcfc-0xcff (any width). Byte
// accesses to 0xcf9 are the PIIX reset control register, forwarded to a hook. Functions live in
// slots 1..31, functions 0..7 (a multi-function device sets bit 7 of its header type on
// function 0); the host bridge is 00:00.0.
//
// Firmware-less boot: nobody else assigns BARs, so add_device() gives each BAR an address from
// the machine's windows and enables decoding; Linux keeps what it finds.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "base/result.h"
#include "bus/bus.h"
#include "devices/pci/pci_device.h"

namespace vireo {

struct PciWindows {
    uint64_t mmio32_start = 0;
    uint64_t mmio32_end = 0; // exclusive
    uint64_t mmio64_start = 0; // 0: 64-bit BARs are placed in the 32-bit window
    uint64_t mmio64_end = 0;
    uint64_t io_start = 0;
    uint64_t io_end = 0;
};

class PciRoot {
public:
    using ResetHook = std::function<void(uint8_t value)>;
    // Returns the INTx wiring for a device in `slot` (pin INTA#).
    using IntxAllocator = std::function<IntxRoute(uint8_t slot)>;

    PciRoot(Bus& mmio, Bus& pio, PciWindows windows, ResetHook reset, IntxAllocator intx = {});

    // Registers the 0xcf8-0xcff port range on the PIO bus.
    [[nodiscard]] Result<void> attach_ports();

    // Replaces the default host bridge (an i440FX whose PAM registers do nothing) at 00:00.0.
    void set_host_bridge(std::shared_ptr<PciDevice> bridge);

    // Puts a function in `slot` (or the first free slot) at `function`, assigns its BARs from
    // the windows, wires INTx, attaches it to the buses and enables I/O, memory decoding and
    // bus mastering. Returns the slot.
    [[nodiscard]] Result<uint8_t> add_device(std::shared_ptr<PciDevice> device, std::optional<uint8_t> slot = {},
        uint8_t function = 0);

    [[nodiscard]] std::shared_ptr<PciDevice> device(uint8_t slot, uint8_t function = 0) const
    {
        return m_slots[slot][function];
    }

    // Configuration access by slot (tests, and the config-port device).
    void config_read(uint8_t slot, uint8_t function, uint16_t offset, std::span<uint8_t> data);
    void config_write(uint8_t slot, uint8_t function, uint16_t offset, std::span<const uint8_t> data);

    // Accesses to the port range at 0xcf8 (offset 0..7).
    void port_read(uint64_t offset, std::span<uint8_t> data);
    void port_write(uint64_t offset, std::span<const uint8_t> data);

private:
    class Ports;
    Result<uint64_t> allocate(uint64_t& next, uint64_t end, uint64_t size);

    Bus& m_mmio;
    Bus& m_pio;
    PciWindows m_windows;
    ResetHook m_reset;
    IntxAllocator m_intx;
    std::array<std::array<std::shared_ptr<PciDevice>, 8>, 32> m_slots {};
    std::mutex m_lock; // slots and allocation (set-up)
    std::atomic<uint32_t> m_address { 0 };
    std::atomic<uint8_t> m_reset_control { 0 };
    uint64_t m_next_mmio32 = 0;
    uint64_t m_next_mmio64 = 0;
    uint64_t m_next_io = 0;
};

} // namespace vireo
