#include "machine/assembly/drive_media.h"

#include <algorithm>

#include "devices/ide/atapi_cdrom.h"
#include "devices/ide/piix_ide.h"

namespace vireo {

namespace {

struct TrayState {
    bool open = false;
    bool locked = false;
    bool has_medium = false;
};

TrayState tray_state(PiixIde& ide, int position)
{
    TrayState state;
    auto at = static_cast<unsigned>(position);
    ide.channel(at / 2).with_drive(at % 2, [&](IdeDrive* drive) {
        if (!drive || drive->kind() != IdeMedia::Cdrom)
            return;
        const auto& cdrom = static_cast<const AtapiCdrom&>(*drive);
        state = TrayState { cdrom.tray_open(), cdrom.locked(), cdrom.image() != nullptr };
    });
    return state;
}

BlockDrive* find_drive(const DriveSet& set, std::string_view name)
{
    auto found = std::ranges::find(set.drives, name, &BlockDrive::name);
    return found == set.drives.end() ? nullptr : &*found;
}

bool is_cdrom(const DriveSet& set, const BlockDrive& drive)
{
    return drive.cdrom_position >= 0 && set.ide;
}

// A refused request: the guest's lock (it got an eject request) or a real error.
Result<MediumOutcome> refused(PiixIde& ide, const BlockDrive& drive, MediumForce force, Error error)
{
    if (force == MediumForce::IfUnlocked && tray_state(ide, drive.cdrom_position).locked)
        return MediumOutcome::Locked;
    return std::unexpected(std::move(error));
}

BlockMedium medium_of(const DriveConfig& config, const ImageFacts& facts)
{
    BlockMedium medium;
    medium.file = config.file;
    medium.format = facts.format;
    medium.read_only = config.read_only;
    medium.virtual_size = facts.virtual_size;
    medium.backing_depth = facts.backing_depth;
    medium.backing_file = facts.backing_file;
    // BlockdevCacheInfo of each -drive cache= mode.
    switch (config.cache) {
    case CacheMode::Writeback:
        break;
    case CacheMode::None:
        medium.direct = true;
        break;
    case CacheMode::Writethrough:
        medium.writeback = false;
        break;
    case CacheMode::Unsafe:
        medium.no_flush = true;
        break;
    case CacheMode::DirectSync:
        medium.writeback = false;
        medium.direct = true;
        break;
    }
    return medium;
}

} // namespace

std::string drive_name(const DriveConfig& drive, unsigned bus, unsigned unit)
{
    if (drive.id_given)
        return drive.id;
    switch (drive.interface) {
    case DriveInterface::Ide:
        return fmt::format("ide{}-{}{}", bus, drive.media == DriveMedia::Cdrom ? "cd" : "hd", unit);
    case DriveInterface::Virtio:
        return fmt::format("virtio{}", unit);
    case DriveInterface::None:
        return fmt::format("none{}", unit);
    }
    return drive.id;
}

std::string anonymous_device_path(const MachineParts& parts)
{
    return fmt::format("/machine/unattached/device[{}]", parts.config.smp.cpus + parts.block_drives.size());
}

void add_block_drive(MachineParts& parts, std::string name, std::string qdev, const DriveConfig& config,
    const ImageFacts* facts, int cdrom_position)
{
    BlockDrive drive { std::move(name), std::move(qdev), config, std::nullopt, cdrom_position };
    if (facts)
        drive.facts = *facts;
    parts.block_drives.push_back(std::move(drive));
}

const BlockDrive* find_block_drive(const DriveSet& set, std::string_view name)
{
    return find_drive(set, name);
}

std::vector<BlockDeviceInfo> block_device_info(const DriveSet& set)
{
    std::vector<BlockDeviceInfo> list;
    for (const auto& drive : set.drives) {
        BlockDeviceInfo info;
        info.device = drive.name;
        info.qdev = drive.qdev;
        bool has_medium = drive.facts.has_value() && !drive.config.file.empty();
        if (is_cdrom(set, drive)) {
            auto tray = tray_state(*set.ide, drive.cdrom_position);
            info.removable = true;
            info.locked = tray.locked;
            info.tray_open = tray.open;
            has_medium = has_medium && tray.has_medium;
        }
        if (has_medium)
            info.medium = medium_of(drive.config, *drive.facts);
        list.push_back(std::move(info));
    }
    return list;
}

Result<MediumOutcome> eject_medium(const DriveSet& set, std::string_view name, MediumForce force)
{
    BlockDrive* drive = find_drive(set, name);
    if (!drive)
        return make_error("no block device '{}'", name);
    if (!is_cdrom(set, *drive))
        return MediumOutcome::NotRemovable;
    auto position = static_cast<unsigned>(drive->cdrom_position);
    if (auto ejected = set.ide->eject(position, force == MediumForce::Always); !ejected)
        return refused(*set.ide, *drive, force, ejected.error());
    drive->config.file.clear();
    drive->facts.reset();
    return MediumOutcome::Done;
}

Result<MediumOutcome> insert_medium(const DriveSet& set, std::string_view name, DriveConfig medium,
    MediumForce force)
{
    BlockDrive* drive = find_drive(set, name);
    if (!drive)
        return make_error("no block device '{}'", name);
    // As QEMU: the image is opened before the drive is looked at.
    auto opened = TRY(open_drive_image(medium));
    if (!is_cdrom(set, *drive))
        return MediumOutcome::NotRemovable;
    auto position = static_cast<unsigned>(drive->cdrom_position);
    std::shared_ptr<DiskImage> image(std::move(opened.image));
    if (auto changed = set.ide->change_medium(position, std::move(image), force == MediumForce::Always); !changed)
        return refused(*set.ide, *drive, force, changed.error());
    drive->config = std::move(medium);
    drive->facts = opened.facts;
    return MediumOutcome::Done;
}

Result<MediumOutcome> change_medium(const DriveSet& set, std::string_view name, const MediumChange& change,
    MediumForce force)
{
    const BlockDrive* drive = find_drive(set, name);
    if (!drive)
        return make_error("no block device '{}'", name);
    DriveConfig medium = drive->config;
    medium.file = change.file;
    medium.format = change.format;
    medium.snapshot = false; // QEMU drops snapshot=on for a new medium
    switch (change.read_only) {
    case ReadOnlyMode::Retain:
        break;
    case ReadOnlyMode::ReadOnly:
        medium.read_only = true;
        break;
    case ReadOnlyMode::ReadWrite:
        medium.read_only = false;
        break;
    }
    return insert_medium(set, name, std::move(medium), force);
}

Result<void> watch_trays(const DriveSet& set, const TrayListener& listener)
{
    for (const auto& drive : set.drives) {
        if (!is_cdrom(set, drive))
            continue;
        TRY(set.ide->set_tray_callback(static_cast<unsigned>(drive.cdrom_position),
            [listener, name = drive.name, qdev = drive.qdev](bool open) { listener(name, qdev, open); }));
    }
    return {};
}

} // namespace vireo
