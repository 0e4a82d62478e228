#include "devices/pci/pci_root.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "base/log.h"
#include "devices/chipset/i440fx.h"

namespace vireo {

namespace {
constexpr uint32_t k_address_enable = 1U << 31;
constexpr uint64_t k_address_port_offset = 0; // 0xcf8
constexpr uint64_t k_reset_port_offset = 1;   // 0xcf9
constexpr uint64_t k_data_port_offset = 4;    // 0xcfc
constexpr uint64_t k_port_count = 8;
} // namespace

class PciRoot::Ports final : public BusDevice {
public:
    explicit Ports(PciRoot& root)
        : m_root(root)
    {
    }
    void read(uint64_t offset, std::span<uint8_t> data) override { m_root.port_read(offset, data); }
    void write(uint64_t offset, std::span<const uint8_t> data) override { m_root.port_write(offset, data); }

private:
    PciRoot& m_root;
};

PciRoot::PciRoot(Bus& mmio, Bus& pio, PciWindows windows, ResetHook reset, IntxAllocator intx)
    : m_mmio(mmio)
    , m_pio(pio)
    , m_windows(windows)
    , m_reset(std::move(reset))
    , m_intx(std::move(intx))
    , m_next_mmio32(windows.mmio32_start)
    , m_next_mmio64(windows.mmio64_start)
    , m_next_io(windows.io_start)
{
    set_host_bridge(std::make_shared<I440fxHostBridge>());
}

void PciRoot::set_host_bridge(std::shared_ptr<PciDevice> bridge)
{
    // A host bridge always decodes (Linux treats class 0x0600 as "memory always on").
    bridge->set_command(pci::k_command_memory | pci::k_command_io);
    std::lock_guard guard(m_lock);
    m_slots[0][0] = std::move(bridge);
}

Result<void> PciRoot::attach_ports()
{
    return m_pio.insert(std::make_shared<Ports>(*this), 0xcf8, k_port_count, "pci-config");
}

Result<uint64_t> PciRoot::allocate(uint64_t& next, uint64_t end, uint64_t size)
{
    // BARs are naturally aligned (§6.2.5.1); keep memory BARs on their own pages.
    uint64_t alignment = std::max<uint64_t>(size, 1);
    uint64_t address = (next + alignment - 1) & ~(alignment - 1);
    if (address < next || address + size > end || address + size < address)
        return make_error("PCI: no room for a BAR of {:#x} bytes", size);
    next = address + size;
    return address;
}

Result<uint8_t> PciRoot::add_device(std::shared_ptr<PciDevice> device, std::optional<uint8_t> wanted_slot,
    uint8_t function)
{
    std::lock_guard guard(m_lock);
    uint8_t slot = 0;
    if (function >= 8)
        return make_error("PCI function {} does not exist", function);
    if (wanted_slot) {
        if (*wanted_slot == 0 || *wanted_slot >= m_slots.size() || m_slots[*wanted_slot][function])
            return make_error("PCI slot {}.{} is not free", *wanted_slot, function);
        slot = *wanted_slot;
    } else {
        auto free = std::find_if(m_slots.begin() + 1, m_slots.end(), [](const auto& functions) {
            return std::ranges::all_of(functions, [](const auto& f) { return f == nullptr; });
        });
        if (free == m_slots.end())
            return make_error("PCI bus 0 is full");
        slot = static_cast<uint8_t>(free - m_slots.begin());
    }

    for (int bar = 0; bar < pci::k_bar_count; ++bar) {
        auto info = device->bar_info(bar);
        if (info.size == 0)
            continue;
        uint64_t address = 0;
        switch (info.kind) {
        case BarKind::Io:
            address = TRY(allocate(m_next_io, m_windows.io_end, info.size));
            break;
        case BarKind::Memory64:
            if (m_windows.mmio64_start) {
                address = TRY(allocate(m_next_mmio64, m_windows.mmio64_end, std::max<uint64_t>(info.size, 0x1000)));
                break;
            }
            [[fallthrough]];
        case BarKind::Memory32:
            address = TRY(allocate(m_next_mmio32, m_windows.mmio32_end, std::max<uint64_t>(info.size, 0x1000)));
            break;
        }
        device->set_bar_address(bar, address);
    }
    if (m_intx && device->uses_pci_intx())
        device->set_intx(m_intx(slot));
    device->attach_buses(m_mmio, m_pio, fmt::format("00:{:02x}.{}", slot, function));
    device->set_command(pci::k_command_io | pci::k_command_memory | pci::k_command_bus_master);
    m_slots[slot][function] = std::move(device);
    return slot;
}

void PciRoot::config_read(uint8_t slot, uint8_t function, uint16_t offset, std::span<uint8_t> data)
{
    std::shared_ptr<PciDevice> device;
    if (slot < m_slots.size() && function < 8) {
        std::lock_guard guard(m_lock);
        device = m_slots[slot][function];
    }
    if (!device) {
        std::ranges::fill(data, 0xff); // no function: vendor id 0xffff (§6.2.1)
        return;
    }
    device->config_read(offset, data);
}

void PciRoot::config_write(uint8_t slot, uint8_t function, uint16_t offset, std::span<const uint8_t> data)
{
    std::shared_ptr<PciDevice> device;
    if (slot < m_slots.size() && function < 8) {
        std::lock_guard guard(m_lock);
        device = m_slots[slot][function];
    }
    if (device)
        device->config_write(offset, data);
}

void PciRoot::port_read(uint64_t offset, std::span<uint8_t> data)
{
    std::ranges::fill(data, 0xff);
    if (offset == k_address_port_offset && data.size() == 4) {
        uint32_t address = m_address.load();
        std::memcpy(data.data(), &address, 4);
    } else if (offset == k_reset_port_offset && data.size() == 1) {
        data[0] = m_reset_control.load();
    } else if (offset >= k_data_port_offset && offset + data.size() <= k_port_count) {
        uint32_t address = m_address.load();
        if (!(address & k_address_enable))
            return;
        auto bus = static_cast<uint8_t>(address >> 16);
        if (bus != 0)
            return;
        auto slot = static_cast<uint8_t>((address >> 11) & 0x1f);
        auto function = static_cast<uint8_t>((address >> 8) & 7);
        auto reg = static_cast<uint16_t>((address & 0xfc) + (offset - k_data_port_offset));
        config_read(slot, function, reg, data);
    }
}

void PciRoot::port_write(uint64_t offset, std::span<const uint8_t> data)
{
    if (offset == k_address_port_offset && data.size() == 4) {
        uint32_t address;
        std::memcpy(&address, data.data(), 4);
        m_address.store(address);
    } else if (offset == k_reset_port_offset && data.size() == 1) {
        // Reset control (PIIX3 RCR): bit 2 going 0->1 resets, with bit 1 choosing hard reset.
        m_reset_control.store(data[0] & 0x0e);
        if (m_reset)
            m_reset(data[0]);
    } else if (offset >= k_data_port_offset && offset + data.size() <= k_port_count) {
        uint32_t address = m_address.load();
        if (!(address & k_address_enable) || static_cast<uint8_t>(address >> 16) != 0)
            return;
        auto slot = static_cast<uint8_t>((address >> 11) & 0x1f);
        auto function = static_cast<uint8_t>((address >> 8) & 7);
        auto reg = static_cast<uint16_t>((address & 0xfc) + (offset - k_data_port_offset));
        config_write(slot, function, reg, data);
    }
    // Other non-dword accesses to 0xcf8-0xcfb are not configuration-address writes: ignored.
}

} // namespace vireo
