#pragma once
// The QOM type queries management stacks probe with (libvirt's capability probe): qom-list-types,
// device-list-properties and qom-list-properties, answered from what vireo really has: the
// device types -device takes, the machine types, and of each device the properties vireo reads.
#include "monitor/command_table.h"

namespace vireo {

void register_qom_commands(CommandTable& table);

} // namespace vireo
