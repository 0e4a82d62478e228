#include "devices/pci/pci_device.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "base/log.h"

namespace vireo {

using namespace pci;

// The bus-facing side of one BAR: forwards offsets to the device.
class PciDevice::BarWindow final : public BusDevice {
public:
    BarWindow(PciDevice& device, int bar)
        : m_device(device)
        , m_bar(bar)
    {
    }
    void read(uint64_t offset, std::span<uint8_t> data) override { m_device.dispatch_read(m_bar, offset, data); }
    void write(uint64_t offset, std::span<const uint8_t> data) override { m_device.dispatch_write(m_bar, offset, data); }

private:
    PciDevice& m_device;
    int m_bar;
};

PciDevice::PciDevice(const PciIds& ids)
{
    init_config(k_vendor_id, ids.vendor, 2);
    init_config(k_device_id, ids.device, 2);
    init_config(k_revision_id, ids.revision, 1);
    init_config(k_prog_if, ids.class_code, 3);
    init_config(k_subsystem_vendor_id, ids.subsystem_vendor, 2);
    init_config(k_subsystem_id, ids.subsystem, 2);
    init_config(k_header_type, 0, 1);
    // Command: I/O, memory, bus master and INTx-disable are ours to emulate (§6.2.2).
    init_config(k_command, 0, 2);
    m_writable[k_command] = k_command_io | k_command_memory | k_command_bus_master;
    m_writable[k_command + 1] = k_command_intx_disable >> 8;
    m_writable[k_interrupt_line] = 0xff;
    for (size_t i = 0; i < m_bars.size(); ++i)
        m_bars[i].window = std::make_shared<BarWindow>(*this, static_cast<int>(i));
    m_rom.window = std::make_shared<BarWindow>(*this, k_rom_window);
}

PciDevice::~PciDevice()
{
    std::lock_guard guard(m_config_lock);
    for (auto& bar : m_bars) {
        if (!bar.mapped)
            continue;
        Bus* bus = bar.info.kind == BarKind::Io ? m_pio : m_mmio;
        if (bus)
            bus->remove(*bar.mapped);
    }
    if (m_rom.mapped && m_mmio)
        m_mmio->remove(*m_rom.mapped);
}

void PciDevice::init_config(uint16_t offset, uint32_t value, size_t size)
{
    for (size_t i = 0; i < size; ++i)
        m_config[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

uint32_t PciDevice::config_value(uint16_t offset, size_t size) const
{
    std::lock_guard guard(m_config_lock);
    return config_value_locked(offset, size);
}

void PciDevice::set_config_locked(uint16_t offset, uint32_t value, size_t size)
{
    for (size_t i = 0; i < size && offset + i < m_config.size(); ++i)
        m_config[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

uint32_t PciDevice::config_value_locked(uint16_t offset, size_t size) const
{
    uint32_t value = 0;
    for (size_t i = 0; i < size && offset + i < m_config.size(); ++i)
        value |= uint32_t { m_config[offset + i] } << (8 * i);
    return value;
}

void PciDevice::add_bar(int bar, BarKind kind, uint64_t size, bool prefetchable)
{
    // Sizing works through the writable mask: writing all-ones reads back ~(size - 1) plus the
    // read-only type bits (§6.2.5.1).
    auto index = static_cast<size_t>(bar);
    uint64_t min_size = kind == BarKind::Io ? 4 : 16;
    size = std::max(size, min_size);
    m_bars[index].info = BarInfo { kind, size, prefetchable };
    uint64_t mask = ~(size - 1);
    uint16_t reg = static_cast<uint16_t>(k_bar0 + 4 * bar);
    uint32_t type = kind == BarKind::Io ? k_bar_io
        : (kind == BarKind::Memory64 ? k_bar_memory_64 : 0) | (prefetchable ? k_bar_prefetchable : 0);
    init_config(reg, type, 4);
    uint32_t low_mask = static_cast<uint32_t>(mask) & (kind == BarKind::Io ? ~3U : ~15U);
    // I/O BARs keep all 32 bits writable, as QEMU's do: firmware sizes a BAR by writing all-ones
    // and reading ~(size - 1) back (SeaBIOS takes a 16-bit answer for a 64 KiB-sized BAR). An
    // address beyond the 64 KiB x86 I/O space is simply not decoded (update_bars_locked).
    for (int i = 0; i < 4; ++i)
        m_writable[reg + i] = static_cast<uint8_t>(low_mask >> (8 * i));
    if (kind == BarKind::Memory64) {
        uint32_t high_mask = static_cast<uint32_t>(mask >> 32);
        for (int i = 0; i < 4; ++i)
            m_writable[reg + 4 + i] = static_cast<uint8_t>(high_mask >> (8 * i));
        m_bars[index + 1].info = BarInfo {};
    }
}

void PciDevice::add_rom(std::vector<uint8_t> image)
{
    // The ROM's size is a power of two of at least 2 KiB; the address bits above it are
    // writable, and the enable bit (§6.2.5.2).
    uint64_t size = 2048;
    while (size < image.size())
        size *= 2;
    m_rom.info = BarInfo { BarKind::Memory32, size, false };
    m_rom_image = std::move(image);
    uint32_t mask = (static_cast<uint32_t>(~(size - 1)) & k_rom_address_mask) | k_rom_enable;
    for (int i = 0; i < 4; ++i)
        m_writable[k_expansion_rom + i] = static_cast<uint8_t>(mask >> (8 * i));
}

void PciDevice::read_rom(uint64_t offset, std::span<uint8_t> data) const
{
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = offset + i < m_rom_image.size() ? m_rom_image[offset + i] : 0;
}

uint16_t PciDevice::add_capability(uint8_t id, std::span<const uint8_t> body, std::span<const uint8_t> writable)
{
    uint16_t offset = m_next_capability;
    size_t length = 2 + body.size();
    if (offset + length > k_config_size) {
        log_error("PCI capability {:#x} does not fit in configuration space", id);
        return 0;
    }
    m_config[offset] = id;
    m_config[offset + 1] = 0;
    std::copy(body.begin(), body.end(), m_config.begin() + offset + 2);
    if (!writable.empty())
        std::copy(writable.begin(), writable.begin() + static_cast<std::ptrdiff_t>(std::min(writable.size(), body.size())),
            m_writable.begin() + offset + 2);
    if (m_last_capability)
        m_config[m_last_capability + 1] = static_cast<uint8_t>(offset);
    else
        m_config[k_capabilities_pointer] = static_cast<uint8_t>(offset);
    m_config[k_status] |= k_status_capabilities;
    m_last_capability = offset;
    m_next_capability = static_cast<uint16_t>((offset + length + 3) & ~3U); // dword-aligned (§6.7)
    return offset;
}

Result<void> PciDevice::add_msix(uint16_t vectors, int bar, uint32_t table_offset, uint32_t pba_offset, MsiRouter& router)
{
    m_msix = TRY(Msix::create(vectors, router));
    m_msix_bar = bar;
    m_msix_table_offset = table_offset;
    m_msix_pba_offset = pba_offset;
    // Capability body (§6.8.2): Message Control (table size N-1; enable and function mask
    // writable), Table Offset/BIR, PBA Offset/BIR.
    std::array<uint8_t, 10> body {};
    uint16_t control = static_cast<uint16_t>(vectors - 1);
    uint32_t table = table_offset | static_cast<uint32_t>(bar);
    uint32_t pba = pba_offset | static_cast<uint32_t>(bar);
    std::memcpy(&body[0], &control, 2);
    std::memcpy(&body[2], &table, 4);
    std::memcpy(&body[6], &pba, 4);
    std::array<uint8_t, 10> writable {};
    writable[1] = (Msix::k_control_enable | Msix::k_control_function_mask) >> 8;
    m_msix_capability = add_capability(k_cap_msix, body, writable);
    return {};
}

void PciDevice::config_read(uint16_t offset, std::span<uint8_t> data)
{
    if (offset >= k_config_size || data.size() > size_t { k_config_size } - offset) {
        std::ranges::fill(data, 0xff);
        return;
    }
    std::lock_guard guard(m_config_lock);
    std::copy_n(m_config.begin() + offset, data.size(), data.begin());
}

void PciDevice::config_write(uint16_t offset, std::span<const uint8_t> data)
{
    if (offset >= k_config_size || data.size() > size_t { k_config_size } - offset)
        return;
    std::lock_guard guard(m_config_lock);
    for (size_t i = 0; i < data.size(); ++i) {
        size_t at = offset + i;
        m_config[at] = static_cast<uint8_t>((m_config[at] & ~m_writable[at]) | (data[i] & m_writable[at]));
    }
    uint16_t end = static_cast<uint16_t>(offset + data.size());
    if (offset < k_command + 2 && end > k_command) {
        update_bars_locked();
        update_intx_locked();
    } else if ((offset < k_bar0 + 4 * k_bar_count && end > k_bar0)
        || (offset < k_expansion_rom + 4 && end > k_expansion_rom)) {
        update_bars_locked();
    }
    if (m_msix && offset < m_msix_capability + 4 && end > m_msix_capability + 2) {
        uint16_t control = static_cast<uint16_t>(m_config[m_msix_capability + 2] | m_config[m_msix_capability + 3] << 8);
        m_msix->set_control(control);
    }
    config_written(offset, data.size());
}

void PciDevice::set_command(uint16_t command)
{
    std::array<uint8_t, 2> bytes { static_cast<uint8_t>(command), static_cast<uint8_t>(command >> 8) };
    config_write(k_command, bytes);
}

void PciDevice::set_bar_address(int bar, uint64_t address)
{
    uint16_t reg = static_cast<uint16_t>(k_bar0 + 4 * bar);
    std::array<uint8_t, 8> bytes {};
    std::memcpy(bytes.data(), &address, 8);
    size_t size = bar_info(bar).kind == BarKind::Memory64 ? 8 : 4;
    config_write(reg, std::span(bytes).first(size));
}

std::optional<uint64_t> PciDevice::bar_mapping(int bar) const
{
    std::lock_guard guard(m_config_lock);
    return m_bars[static_cast<size_t>(bar)].mapped;
}

void PciDevice::attach_buses(Bus& mmio, Bus& pio, std::string address)
{
    std::lock_guard guard(m_config_lock);
    m_mmio = &mmio;
    m_pio = &pio;
    m_address = std::move(address);
    update_bars_locked();
}

void PciDevice::set_intx(IntxRoute route)
{
    std::lock_guard guard(m_config_lock);
    m_intx = std::move(route.line);
    m_config[k_interrupt_line] = route.irq;
    m_config[k_interrupt_pin] = 1; // INTA#
}

uint64_t PciDevice::bar_address_locked(int bar) const
{
    const auto& info = m_bars[static_cast<size_t>(bar)].info;
    uint16_t reg = static_cast<uint16_t>(k_bar0 + 4 * bar);
    uint32_t low;
    std::memcpy(&low, &m_config[reg], 4);
    if (info.kind == BarKind::Io)
        return low & ~3U;
    uint64_t address = low & ~15U;
    if (info.kind == BarKind::Memory64) {
        uint32_t high;
        std::memcpy(&high, &m_config[reg + 4], 4);
        address |= uint64_t { high } << 32;
    }
    return address;
}

// Brings the bus registrations in line with the BAR registers and the command register's
// decode-enable bits: remove the old range, insert the new one.
void PciDevice::update_bars_locked()
{
    if (!m_mmio || !m_pio)
        return;
    uint16_t command = static_cast<uint16_t>(m_config[k_command] | m_config[k_command + 1] << 8);
    for (int i = 0; i < k_bar_count; ++i) {
        auto& bar = m_bars[static_cast<size_t>(i)];
        if (bar.info.size == 0)
            continue;
        bool is_io = bar.info.kind == BarKind::Io;
        bool decode = command & (is_io ? k_command_io : k_command_memory);
        uint64_t address = bar_address_locked(i);
        uint64_t limit = is_io ? 0x10000 : (bar.info.kind == BarKind::Memory32 ? 0x1'0000'0000 : 0);
        bool fits = address != 0 && address + bar.info.size > address
            && (limit == 0 || address + bar.info.size <= limit);
        std::optional<uint64_t> wanted;
        if (decode && fits)
            wanted = address;
        move_bar_locked(i, bar, wanted);
    }
    if (m_rom.info.size) {
        uint32_t reg = config_value_locked(k_expansion_rom, 4);
        uint64_t address = reg & k_rom_address_mask;
        bool decode = (command & k_command_memory) && (reg & k_rom_enable);
        std::optional<uint64_t> wanted;
        if (decode && address != 0 && address + m_rom.info.size <= 0x1'0000'0000)
            wanted = address;
        move_bar_locked(k_rom_window, m_rom, wanted);
    }
}

void PciDevice::move_bar_locked(int index, Bar& bar, std::optional<uint64_t> wanted)
{
    if (wanted == bar.mapped)
        return;
    Bus& bus = bar.info.kind == BarKind::Io ? *m_pio : *m_mmio;
    auto old = bar.mapped;
    if (old)
        bus.remove(*old);
    bar.mapped.reset();
    if (wanted) {
        auto name = index == k_rom_window ? fmt::format("pci {} rom", m_address)
                                          : fmt::format("pci {} bar{}", m_address, index);
        if (m_address.empty())
            name.clear(); // the bus names it by its base
        if (auto result = bus.insert(bar.window, *wanted, bar.info.size, name); result)
            bar.mapped = wanted;
        else
            VIREO_GUEST_WARN("PCI BAR {} at {:#x}: {}", index, *wanted, result.error().describe());
    }
    bar_remapped(index, old, bar.mapped);
}

void PciDevice::set_intx_level(bool high)
{
    std::lock_guard guard(m_config_lock);
    m_intx_level = high;
    update_intx_locked();
}

void PciDevice::update_intx_locked()
{
    bool disabled = m_config[k_command + 1] & (k_command_intx_disable >> 8);
    // Status.Interrupt shows the internal state whatever the disable bit (§6.2.3).
    if (m_intx_level)
        m_config[k_status] |= k_status_interrupt;
    else
        m_config[k_status] &= static_cast<uint8_t>(~k_status_interrupt);
    bool assert_line = m_intx_level && !disabled;
    if (assert_line != m_intx_asserted && m_intx) {
        m_intx->set_level(assert_line);
    }
    m_intx_asserted = assert_line;
}

void PciDevice::dispatch_read(int bar, uint64_t offset, std::span<uint8_t> data)
{
    if (bar == k_rom_window)
        return read_rom(offset, data);
    if (m_msix && bar == m_msix_bar) {
        if (offset >= m_msix_table_offset && offset - m_msix_table_offset < m_msix->table_size())
            return m_msix->table_read(offset - m_msix_table_offset, data);
        if (offset >= m_msix_pba_offset && offset - m_msix_pba_offset < m_msix->pba_size())
            return m_msix->pba_read(offset - m_msix_pba_offset, data);
    }
    bar_read(bar, offset, data);
}

void PciDevice::dispatch_write(int bar, uint64_t offset, std::span<const uint8_t> data)
{
    if (bar == k_rom_window)
        return; // read-only
    if (m_msix && bar == m_msix_bar) {
        if (offset >= m_msix_table_offset && offset - m_msix_table_offset < m_msix->table_size())
            return m_msix->table_write(offset - m_msix_table_offset, data);
        if (offset >= m_msix_pba_offset && offset - m_msix_pba_offset < m_msix->pba_size())
            return; // the PBA is read-only
    }
    bar_write(bar, offset, data);
}

} // namespace vireo
