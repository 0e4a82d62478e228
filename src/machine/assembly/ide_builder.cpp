// The PIIX3 IDE function at 00:01.1 with the -drive if=ide, -hda..-hdd and -cdrom drives, as on
// QEMU's pc: four positions (primary master, primary slave, secondary master, secondary slave),
// and an empty CD-ROM drive as the secondary master unless a drive or -nodefaults takes it.
#include <algorithm>
#include <optional>

#include "block/open_image.h"
#include "devices/ide/piix_ide.h"
#include "devices/pci/pci_root.h"
#include "machine/assembly/builders.h"
#include "machine/assembly/drive_media.h"
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

// Each drive for the monitor, named as QEMU names legacy IDE drives ("ide1-cd0"); the default
// CD-ROM drive is an empty, read-only -drive if=ide,media=cdrom,index=2.
void record_drives(MachineParts& parts, const std::array<const DriveConfig*, k_ide_positions>& placed,
    const std::array<IdeDriveSpec, k_ide_positions>& specs,
    const std::array<std::optional<ImageFacts>, k_ide_positions>& facts)
{
    for (size_t position = 0; position < k_ide_positions; ++position) {
        if (specs[position].kind == IdeMedia::None)
            continue;
        DriveConfig config;
        if (placed[position]) {
            config = *placed[position];
        } else {
            config.interface = DriveInterface::Ide;
            config.media = DriveMedia::Cdrom;
            config.index = static_cast<int>(position);
            config.read_only = true;
        }
        bool cdrom = specs[position].kind == IdeMedia::Cdrom;
        auto name = drive_name(config, static_cast<unsigned>(position / 2), static_cast<unsigned>(position % 2));
        auto qdev = anonymous_device_path(parts);
        add_block_drive(parts, std::move(name), std::move(qdev), config, facts[position] ? &*facts[position] : nullptr,
            cdrom ? static_cast<int>(position) : -1);
    }
}

} // namespace

Result<void> build_ide(MachineParts& parts)
{
    auto placed = TRY(place_drives(parts.config.drives));
    std::array<IdeDriveSpec, k_ide_positions> specs {};
    std::array<std::optional<ImageFacts>, k_ide_positions> facts {};
    for (size_t position = 0; position < k_ide_positions; ++position) {
        const DriveConfig* drive = placed[position];
        if (!drive) {
            if (position == k_default_cdrom_position && !parts.config.nodefaults)
                specs[position].kind = IdeMedia::Cdrom; // empty drive, as QEMU's default
            continue;
        }
        specs[position].kind = drive->media == DriveMedia::Cdrom ? IdeMedia::Cdrom : IdeMedia::Disk;
        auto opened = TRY(open_drive_image(*drive));
        specs[position].image = std::shared_ptr<DiskImage>(std::move(opened.image));
        facts[position] = opened.facts;
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
    parts.ide = &parts.keep(ide);
    record_drives(parts, placed, specs, facts);
    return {};
}

} // namespace vireo
