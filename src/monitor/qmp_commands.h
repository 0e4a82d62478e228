#pragma once
// The QMP commands and events of vireo, with QEMU 7.2's argument and reply shapes, put in a
// command table. Handlers talk to the machine only through MachineControl.
#include "monitor/command_table.h"
#include "monitor/machine_control.h"

namespace vireo {

// Fills table (which must outlive its use: query-commands and query-qmp-schema read it).
void register_qmp_commands(CommandTable& table, MachineControl& control);

// DEVICE_TRAY_MOVED's data: the block backend's name, the guest device's id or QOM path, and
// where the tray is now.
[[nodiscard]] Json device_tray_moved_data(std::string_view device, std::string_view id, bool open);

} // namespace vireo
