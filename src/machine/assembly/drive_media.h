#pragma once
// The machine's drives as the monitor sees them: their names as QEMU gives them, query-block's
// view, and host media control of the CD-ROMs (QMP eject, blockdev-change-medium). Everything
// here runs on the event loop's thread.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "machine/assembly/machine_parts.h"
#include "monitor/machine_control.h"

namespace vireo {

// The block backend name QEMU gives a -drive: its id= if given, else "ide<bus>-<hd|cd><unit>"
// (IDE), "virtio<unit>" or "none<unit>" (QEMU's blockdev.c drive naming).
[[nodiscard]] std::string drive_name(const DriveConfig& drive, unsigned bus, unsigned unit);
// The QOM path of the next drive's guest device that has no id. vireo's own numbering under
// /machine/unattached, after the vCPUs' device[0..n-1]; `id` accepts it back.
[[nodiscard]] std::string anonymous_device_path(const MachineParts& parts);
// Records a drive for the monitor (the builders call it as they attach drives).
void add_block_drive(MachineParts& parts, std::string name, std::string qdev, const DriveConfig& config,
    const ImageFacts* facts, int cdrom_position = -1);

// What the functions below work on: a machine's recorded drives, and the IDE function that
// holds its CD-ROMs (null: none).
struct DriveSet {
    std::vector<BlockDrive>& drives;
    PiixIde* ide = nullptr;
};
[[nodiscard]] inline DriveSet drive_set(MachineParts& parts) { return DriveSet { parts.block_drives, parts.ide }; }

[[nodiscard]] const BlockDrive* find_block_drive(const DriveSet& set, std::string_view name);
[[nodiscard]] std::vector<BlockDeviceInfo> block_device_info(const DriveSet& set);

// Opens the tray and removes the medium.
[[nodiscard]] Result<MediumOutcome> eject_medium(const DriveSet& set, std::string_view name, MediumForce force);
// Opens `medium` (an error: nothing changed), puts it in and closes the tray.
[[nodiscard]] Result<MediumOutcome> insert_medium(const DriveSet& set, std::string_view name, DriveConfig medium,
    MediumForce force);
// blockdev-change-medium: the drive's configuration with the new file, format and read-only mode.
[[nodiscard]] Result<MediumOutcome> change_medium(const DriveSet& set, std::string_view name,
    const MediumChange& change, MediumForce force);

// Calls `listener` whenever a CD-ROM's tray moves: on a vCPU thread with the channel lock held,
// or on the loop's thread during a host media change. It must only record the event.
using TrayListener = std::function<void(const std::string& name, const std::string& qdev, bool open)>;
[[nodiscard]] Result<void> watch_trays(const DriveSet& set, const TrayListener& listener);

} // namespace vireo
