#pragma once
// vireo's own QMP commands for the exit profiler (x- as QEMU names what is not stable API):
// x-vireo-query-exits and x-vireo-exits-reset.
#include "monitor/command_table.h"
#include "monitor/machine_control.h"

namespace vireo {

void register_exit_profile_commands(CommandTable& table, MachineControl& control);

} // namespace vireo
