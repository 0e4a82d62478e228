// The PIIX3 IDE function at 00:01.1 with the -drive if=ide, -hda..-hdd and -cdrom drives, as on
// QEMU's pc: four positions (primary master, primary slave, secondary master, secondary slave),
// and an empty CD-ROM drive as the secondary master unless a drive or -nodefaults takes it.
#include <algorithm>

#include "block/open_image.h"
#include "devices/ide/piix_ide.h"
#include "devices/pci/pci_root.h"
#include "machine/assembly/builders.h"
#include "machine/firmware/boot_config.h"
#include "machine/pc_layout.h"

namespace vireo {

namespace {

constexpr size_t k_default_cdrom_position = 2;

// Which drive sits at each position: an explicit index= first, then the rest in order.
Result<std::array<const DriveConfig*, k_ide_positions>> place_drives(const std::vector<DriveConfig>& drives)
{
    std::array<const DriveConfig*, k_ide_positions> placed {};
    for (const auto& drive : drives) {
        if (drive.interface == DriveInterface::Ide && drive.index >= 0)
            placed.at(static_cast<size_t>(drive.index)) = &drive;
    }
    for (const auto& drive : drives) {
        if (drive.interface != DriveInterface::Ide || drive.index >= 0)
            continue;
        auto free = std::ranges::find(placed, nullptr);
        if (free == placed.end())
            return make_error("-drive {}: no free IDE position (at most {} IDE drives)", drive.file, k_ide_positions);
        *free = &drive;
    }
    return placed;
}

} // namespace

Result<void> build_ide(MachineParts& parts)
{
    auto placed = TRY(place_drives(parts.config.drives));
    std::array<IdeDriveSpec, k_ide_positions> specs {};
    for (size_t position = 0; position < k_ide_positions; ++position) {
        const DriveConfig* drive = placed[position];
        if (!drive) {
            if (position == k_default_cdrom_position && !parts.config.nodefaults)
                specs[position].kind = IdeMedia::Cdrom; // empty drive, as QEMU's default
            continue;
        }
        specs[position].kind = drive->media == DriveMedia::Cdrom ? IdeMedia::Cdrom : IdeMedia::Disk;
        specs[position].image = std::shared_ptr<DiskImage>(TRY(open_disk_image(*drive)));
        specs[position].read_only = drive->read_only;
        auto channel = static_cast<uint8_t>(position / 2);
        auto unit = static_cast<uint8_t>(position % 2);
        parts.boot_devices.push_back(BootDevice {
            drive->media == DriveMedia::Cdrom ? BootDevice::Kind::Cdrom : BootDevice::Kind::Disk,
            boot_config::of_path_ide(channel, unit), drive->bootindex });
    }
    std::shared_ptr<InterruptLine> irq14(parts.vm.interrupt_line(PiixIde::k_primary_irq));
    std::shared_ptr<InterruptLine> irq15(parts.vm.interrupt_line(PiixIde::k_secondary_irq));
    auto ide = TRY(PiixIde::create(parts.memory, parts.loop, std::move(irq14), std::move(irq15), specs));
    TRY(ide->attach_compat_ports(parts.pio));
    TRY(parts.pci_root->add_device(ide, pc::k_piix_slot, pc::k_piix_ide_function));
    parts.keep(ide);
    return {};
}

} // namespace vireo
