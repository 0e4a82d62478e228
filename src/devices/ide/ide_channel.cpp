#include "devices/ide/ide_channel.h"

#include <algorithm>

#include "base/log.h"

namespace vireo {

using namespace ata;

namespace {

constexpr uint8_t k_no_device = 0x7f; // DD7 pulled down, DD6-0 floating high

} // namespace

IdeChannel::IdeChannel(const GuestMemory& memory, std::shared_ptr<InterruptLine> irq,
    std::function<bool()> bus_master_enabled)
    : m_irq(std::move(irq))
    , m_bus_master_enabled(std::move(bus_master_enabled))
    , m_bus_master(memory)
{
}

IdeChannel::~IdeChannel()
{
    m_alive.reset();
    if (m_loop) {
        for (const auto& image : m_watched)
            m_loop->remove(image->completion_fd());
    }
}

Result<void> IdeChannel::add_drive(unsigned unit, unsigned position, const IdeDriveSpec& spec)
{
    std::lock_guard guard(m_lock);
    if (unit > 1 || m_drives[unit])
        return make_error("IDE: position {} is taken", position);
    switch (spec.kind) {
    case IdeMedia::None:
        return {};
    case IdeMedia::Disk:
        if (!spec.image)
            return make_error("IDE: the disk at position {} has no image", position);
        if (spec.image->size() < k_sector_size)
            return make_error("IDE: the disk at position {} is smaller than a sector", position);
        m_drives[unit] = std::make_unique<AtaDisk>(*this, position, spec);
        break;
    case IdeMedia::Cdrom:
        m_drives[unit] = std::make_unique<AtapiCdrom>(*this, position, spec);
        break;
    }
    if (spec.image)
        TRY(watch_image(spec.image));
    return {};
}

Result<void> IdeChannel::attach(EventLoop& loop)
{
    std::lock_guard guard(m_lock);
    if (m_loop)
        return make_error("IDE: channel attached twice");
    size_t added = 0;
    for (const auto& image : m_watched) {
        auto result = loop.add(image->completion_fd(), EPOLLIN, [image](uint32_t) { image->process_completions(); });
        if (!result) {
            for (size_t i = 0; i < added; ++i)
                loop.remove(m_watched[i]->completion_fd());
            return std::unexpected(result.error());
        }
        ++added;
    }
    m_loop = &loop;
    return {};
}

Result<void> IdeChannel::watch_image(const std::shared_ptr<DiskImage>& image)
{
    if (std::ranges::find(m_watched, image) != m_watched.end())
        return {};
    if (m_loop)
        TRY(m_loop->add(image->completion_fd(), EPOLLIN, [image](uint32_t) { image->process_completions(); }));
    m_watched.push_back(image);
    return {};
}

void IdeChannel::unwatch_image(const std::shared_ptr<DiskImage>& image)
{
    auto it = std::ranges::find(m_watched, image);
    if (it == m_watched.end())
        return;
    if (m_loop)
        m_loop->remove(image->completion_fd());
    m_watched.erase(it);
}

void IdeChannel::submit(DiskImage& image, DiskRequest request, std::function<void(int)> done)
{
    std::weak_ptr<int> alive = m_alive;
    image.submit(std::move(request), [this, alive, done = std::move(done)](int result) {
        if (alive.expired())
            return;
        std::lock_guard guard(m_lock);
        done(result);
        update_locked();
    });
}

void IdeChannel::interrupt_raised(IdeDrive& drive)
{
    if (&drive == selected() && drive.interrupts_enabled())
        m_bus_master.latch_interrupt();
}

uint8_t IdeChannel::read_register_locked(Reg reg)
{
    if (empty())
        return k_no_device;
    IdeDrive* drive = selected();
    if (reg == Reg::StatusCommand) {
        if (!drive)
            return 0x00;
        uint8_t status = drive->status();
        drive->clear_interrupt();
        return status;
    }
    return (drive ? drive : other())->read_register(reg);
}

void IdeChannel::write_register_locked(Reg reg, uint8_t value)
{
    if (reg == Reg::StatusCommand) {
        if (value == k_cmd_execute_diagnostic) {
            // Both devices run it, whichever is selected; device 0 is selected after it.
            for (auto& drive : m_drives) {
                if (drive)
                    drive->write_command(value);
            }
            m_selected = 0;
            return;
        }
        if (IdeDrive* drive = selected())
            drive->write_command(value);
        return;
    }
    for (auto& drive : m_drives) {
        if (drive)
            drive->write_register(reg, value);
    }
    if (reg == Reg::Device)
        m_selected = (value & k_dev_dev1) ? 1 : 0;
}

void IdeChannel::read_command_block(uint64_t offset, std::span<uint8_t> data)
{
    std::lock_guard guard(m_lock);
    if (offset == 0) {
        if (IdeDrive* drive = selected())
            drive->read_data(data);
        else
            std::ranges::fill(data, empty() ? k_no_device : 0xff);
    } else {
        for (size_t i = 0; i < data.size(); ++i) {
            uint64_t at = offset + i;
            data[i] = at < k_command_block_size ? read_register_locked(static_cast<Reg>(at)) : 0xff;
        }
    }
    update_locked();
}

void IdeChannel::write_command_block(uint64_t offset, std::span<const uint8_t> data)
{
    std::lock_guard guard(m_lock);
    if (offset == 0) {
        if (IdeDrive* drive = selected())
            drive->write_data(data);
    } else {
        for (size_t i = 0; i < data.size(); ++i) {
            uint64_t at = offset + i;
            if (at < k_command_block_size)
                write_register_locked(static_cast<Reg>(at), data[i]);
        }
    }
    update_locked();
}

void IdeChannel::read_control(std::span<uint8_t> data)
{
    std::lock_guard guard(m_lock);
    uint8_t value = k_no_device;
    if (!empty())
        value = selected() ? selected()->status() : 0x00;
    std::ranges::fill(data, value);
}

void IdeChannel::write_control(std::span<const uint8_t> data)
{
    if (data.empty())
        return;
    std::lock_guard guard(m_lock);
    uint8_t value = data[0];
    bool reset = value & k_ctl_srst;
    for (auto& drive : m_drives) {
        if (!drive)
            continue;
        drive->write_control(value);
        if (reset && !m_reset_asserted)
            drive->begin_reset();
        else if (!reset && m_reset_asserted)
            drive->end_reset();
    }
    if (!reset && m_reset_asserted)
        m_selected = 0;
    m_reset_asserted = reset;
    update_locked();
}

void IdeChannel::read_bus_master(uint64_t offset, std::span<uint8_t> data)
{
    std::lock_guard guard(m_lock);
    m_bus_master.read(offset, data);
}

void IdeChannel::write_bus_master(uint64_t offset, std::span<const uint8_t> data)
{
    std::lock_guard guard(m_lock);
    m_bus_master.write(offset, data);
    update_locked();
}

void IdeChannel::run_dma_locked()
{
    IdeDrive* drive = selected();
    if (!m_bus_master.active() || !drive || !drive->dma_requested())
        return;
    if (m_bus_master_enabled && !m_bus_master_enabled())
        return;
    if (drive->dma_maps_memory()) {
        std::vector<std::span<uint8_t>> regions;
        switch (m_bus_master.map(drive->dma_length(), regions)) {
        case BusMaster::Outcome::Done:
            m_mapped_dma_drive = drive;
            drive->dma_regions_ready(std::move(regions));
            break;
        case BusMaster::Outcome::Fault:
            drive->dma_failed();
            break;
        case BusMaster::Outcome::ShortTable:
            break;
        }
        return;
    }
    switch (m_bus_master.transfer(drive->dma_buffer(), drive->dma_direction())) {
    case BusMaster::Outcome::Done:
        drive->dma_done();
        break;
    case BusMaster::Outcome::Fault:
        drive->dma_failed();
        break;
    case BusMaster::Outcome::ShortTable:
        break; // the drive keeps waiting (see bus_master.h)
    }
}

void IdeChannel::update_locked()
{
    run_dma_locked();
    // A drive's mapped transfer has ended (completed, failed or reset): the engine goes idle
    // if the table was used up, as after a buffered transfer.
    if (m_mapped_dma_drive && !m_mapped_dma_drive->busy()) {
        m_mapped_dma_drive = nullptr;
        m_bus_master.finish_mapped();
    }
    IdeDrive* drive = selected();
    bool level = drive && drive->interrupt_pending() && drive->interrupts_enabled();
    if (level != m_irq_level) {
        m_irq_level = level;
        if (m_irq)
            m_irq->set_level(level);
    }
}

AtapiCdrom* IdeChannel::cdrom(unsigned unit) const
{
    if (unit > 1 || !m_drives[unit] || m_drives[unit]->kind() != IdeMedia::Cdrom)
        return nullptr;
    return static_cast<AtapiCdrom*>(m_drives[unit].get());
}

Result<void> IdeChannel::eject(unsigned unit, bool force)
{
    std::lock_guard guard(m_lock);
    AtapiCdrom* drive = cdrom(unit);
    if (!drive)
        return make_error("IDE: no CD-ROM at unit {}", unit);
    auto result = drive->eject(force);
    update_locked();
    return result;
}

Result<void> IdeChannel::change_medium(unsigned unit, std::shared_ptr<DiskImage> image, bool force)
{
    std::lock_guard guard(m_lock);
    AtapiCdrom* drive = cdrom(unit);
    if (!drive)
        return make_error("IDE: no CD-ROM at unit {}", unit);
    auto result = drive->change_medium(std::move(image), force);
    update_locked();
    return result;
}

Result<void> IdeChannel::set_tray_callback(unsigned unit, AtapiCdrom::TrayCallback callback)
{
    std::lock_guard guard(m_lock);
    AtapiCdrom* drive = cdrom(unit);
    if (!drive)
        return make_error("IDE: no CD-ROM at unit {}", unit);
    drive->set_tray_callback(std::move(callback));
    return {};
}

IdeMedia IdeChannel::drive_kind(unsigned unit) const
{
    std::lock_guard guard(m_lock);
    return unit < 2 && m_drives[unit] ? m_drives[unit]->kind() : IdeMedia::None;
}

void IdeChannel::with_drive(unsigned unit, const std::function<void(IdeDrive*)>& f)
{
    std::lock_guard guard(m_lock);
    f(unit < 2 ? m_drives[unit].get() : nullptr);
    update_locked();
}

void IdeChannel::reset()
{
    std::lock_guard guard(m_lock);
    for (auto& drive : m_drives) {
        if (!drive)
            continue;
        if (drive->kind() == IdeMedia::Disk) {
            static_cast<AtaDisk&>(*drive).restore(AtaDisk::State {});
        } else {
            auto& cd = static_cast<AtapiCdrom&>(*drive);
            cd.restore(AtapiCdrom::State { .tray_open = cd.tray_open() });
        }
        drive->end_reset();
    }
    m_selected = 0;
    m_reset_asserted = false;
    m_bus_master.reset();
    update_locked();
}

IdeChannel::State IdeChannel::save() const
{
    std::lock_guard guard(m_lock);
    State state;
    for (size_t unit = 0; unit < 2; ++unit) {
        const auto& drive = m_drives[unit];
        if (!drive)
            continue;
        if (drive->kind() == IdeMedia::Disk)
            state.drives[unit] = static_cast<const AtaDisk&>(*drive).save();
        else
            state.drives[unit] = static_cast<const AtapiCdrom&>(*drive).save();
    }
    state.selected = m_selected;
    state.reset_asserted = m_reset_asserted;
    state.bus_master = m_bus_master.save();
    return state;
}

void IdeChannel::restore(const State& state)
{
    std::lock_guard guard(m_lock);
    for (size_t unit = 0; unit < 2; ++unit) {
        auto& drive = m_drives[unit];
        if (!drive)
            continue;
        if (auto* disk = std::get_if<AtaDisk::State>(&state.drives[unit]); disk && drive->kind() == IdeMedia::Disk)
            static_cast<AtaDisk&>(*drive).restore(*disk);
        else if (auto* cd = std::get_if<AtapiCdrom::State>(&state.drives[unit]); cd && drive->kind() == IdeMedia::Cdrom)
            static_cast<AtapiCdrom&>(*drive).restore(*cd);
        else
            log_warn("IDE: saved state for unit {} does not match the device there", unit);
    }
    m_selected = state.selected & 1;
    m_reset_asserted = state.reset_asserted;
    m_bus_master.restore(state.bus_master);
    update_locked();
}

} // namespace vireo
