#include "devices/ide/piix_ide.h"

#include <fmt/format.h>

namespace vireo {

// One of a channel's two compatibility-mode port ranges on the PIO bus.
class PiixIde::Ports final : public BusDevice {
public:
    enum class Block { Command, Control };

    Ports(std::weak_ptr<PiixIde> ide, unsigned channel, Block block)
        : m_ide(std::move(ide))
        , m_channel(channel)
        , m_block(block)
    {
    }

    void read(uint64_t offset, std::span<uint8_t> data) override
    {
        auto ide = m_ide.lock();
        if (!ide || !ide->decodes(m_channel)) {
            std::ranges::fill(data, 0xff);
            return;
        }
        auto& channel = ide->channel(m_channel);
        if (m_block == Block::Command)
            channel.read_command_block(offset, data);
        else
            channel.read_control(data);
    }

    void write(uint64_t offset, std::span<const uint8_t> data) override
    {
        auto ide = m_ide.lock();
        if (!ide || !ide->decodes(m_channel))
            return;
        auto& channel = ide->channel(m_channel);
        if (m_block == Block::Command)
            channel.write_command_block(offset, data);
        else
            channel.write_control(data);
    }

    // The data register takes a whole string-I/O batch in one call.
    void read_string(uint64_t offset, size_t width, std::span<uint8_t> data) override
    {
        if (m_block == Block::Command && offset == 0)
            return read(0, data);
        BusDevice::read_string(offset, width, data);
    }

    void write_string(uint64_t offset, size_t width, std::span<const uint8_t> data) override
    {
        if (m_block == Block::Command && offset == 0)
            return write(0, data);
        BusDevice::write_string(offset, width, data);
    }

private:
    std::weak_ptr<PiixIde> m_ide; // the bus may outlive the function
    unsigned m_channel;
    Block m_block;
};

PiixIde::PiixIde()
    : PciDevice(PciIds { .vendor = k_vendor, .device = k_device, .class_code = k_class, .revision = 0 })
{
    add_bar(k_bus_master_bar, BarKind::Io, bmdma::k_bar_size);
    init_config(k_idetim, k_idetim_decode, 2);
    init_config(k_idetim + 2, k_idetim_decode, 2);
    for (uint16_t offset = k_idetim; offset < k_idetim + State {}.timing.size(); ++offset)
        mark_writable(offset, 0xff);
}

Result<std::shared_ptr<PiixIde>> PiixIde::create(const GuestMemory& memory, EventLoop& loop,
    std::shared_ptr<InterruptLine> irq14, std::shared_ptr<InterruptLine> irq15,
    const std::array<IdeDriveSpec, k_ide_positions>& drives)
{
    std::shared_ptr<PiixIde> ide(new PiixIde());
    PiixIde* raw = ide.get();
    auto bus_master_enabled = [raw] {
        return (raw->config_value(pci::k_command, 2) & pci::k_command_bus_master) != 0;
    };
    ide->m_channels[0] = std::make_unique<IdeChannel>(memory, std::move(irq14), bus_master_enabled);
    ide->m_channels[1] = std::make_unique<IdeChannel>(memory, std::move(irq15), bus_master_enabled);
    for (unsigned position = 0; position < k_ide_positions; ++position)
        TRY(ide->m_channels[position / 2]->add_drive(position % 2, position, drives[position]));
    for (auto& channel : ide->m_channels)
        TRY(channel->attach(loop));
    return ide;
}

PiixIde::~PiixIde()
{
    detach_compat_ports();
}

Result<void> PiixIde::attach_compat_ports(Bus& pio)
{
    if (m_compat_bus)
        return make_error("IDE: compatibility ports attached twice");
    std::weak_ptr<PiixIde> self = weak_from_this();
    using Block = Ports::Block;
    const struct {
        uint16_t port;
        uint64_t length;
        unsigned channel;
        Block block;
    } ranges[] = {
        { k_primary_command, ata::k_command_block_size, 0, Block::Command },
        { k_primary_control, ata::k_control_block_size, 0, Block::Control },
        { k_secondary_command, ata::k_command_block_size, 1, Block::Command },
        { k_secondary_control, ata::k_control_block_size, 1, Block::Control },
    };
    m_compat_bus = &pio;
    for (const auto& range : ranges) {
        auto name = fmt::format("ide{}-{}", range.channel, range.block == Block::Command ? "command" : "control");
        if (auto result = pio.insert(std::make_shared<Ports>(self, range.channel, range.block), range.port, range.length,
                name);
            !result) {
            detach_compat_ports();
            return result;
        }
        m_compat_ports.push_back(range.port);
    }
    return {};
}

void PiixIde::detach_compat_ports()
{
    if (m_compat_bus) {
        for (uint16_t port : m_compat_ports)
            m_compat_bus->remove(port);
    }
    m_compat_ports.clear();
    m_compat_bus = nullptr;
}

bool PiixIde::decodes(unsigned channel) const
{
    return config_value(static_cast<uint16_t>(k_idetim + 2 * (channel & 1)), 2) & k_idetim_decode;
}

void PiixIde::bar_read(int bar, uint64_t offset, std::span<uint8_t> data)
{
    if (bar != k_bus_master_bar) {
        std::ranges::fill(data, 0xff);
        return;
    }
    for (size_t i = 0; i < data.size(); ++i) {
        uint64_t at = offset + i;
        if (at >= bmdma::k_bar_size) {
            data[i] = 0xff;
            continue;
        }
        channel(static_cast<unsigned>(at / bmdma::k_channel_stride))
            .read_bus_master(at % bmdma::k_channel_stride, data.subspan(i, 1));
    }
}

void PiixIde::bar_write(int bar, uint64_t offset, std::span<const uint8_t> data)
{
    if (bar != k_bus_master_bar)
        return;
    // Byte by byte, so that a dword write of the PRD pointer lands whole before anything
    // else: only the command byte starts the engine.
    for (size_t i = 0; i < data.size(); ++i) {
        uint64_t at = offset + i;
        if (at < bmdma::k_bar_size)
            channel(static_cast<unsigned>(at / bmdma::k_channel_stride))
                .write_bus_master(at % bmdma::k_channel_stride, data.subspan(i, 1));
    }
}

Result<void> PiixIde::eject(unsigned position, bool force)
{
    return channel(position / 2).eject(position % 2, force);
}

Result<void> PiixIde::change_medium(unsigned position, std::shared_ptr<DiskImage> image, bool force)
{
    return channel(position / 2).change_medium(position % 2, std::move(image), force);
}

Result<void> PiixIde::set_tray_callback(unsigned position, AtapiCdrom::TrayCallback callback)
{
    return channel(position / 2).set_tray_callback(position % 2, std::move(callback));
}

void PiixIde::reset()
{
    for (auto& channel : m_channels)
        channel->reset();
}

PiixIde::State PiixIde::save() const
{
    State state;
    for (size_t i = 0; i < 2; ++i)
        state.channels[i] = m_channels[i]->save();
    for (size_t i = 0; i < state.timing.size(); ++i)
        state.timing[i] = static_cast<uint8_t>(config_value(static_cast<uint16_t>(k_idetim + i), 1));
    return state;
}

void PiixIde::restore(const State& state)
{
    config_write(k_idetim, state.timing);
    for (size_t i = 0; i < 2; ++i)
        m_channels[i]->restore(state.channels[i]);
}

} // namespace vireo
