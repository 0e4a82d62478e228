#pragma once
// The QMP commands and events of vireo, with QEMU 7.2's argument and reply shapes, put in a
// command table. Handlers talk to the machine only through MachineControl.
#include "monitor/command_table.h"
#include "monitor/machine_control.h"

namespace vireo {

// Fills table (which must outlive its use: query-commands and query-qmp-schema read it).
void register_qmp_commands(CommandTable& table, MachineControl& control);

} // namespace vireo
