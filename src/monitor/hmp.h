#pragma once
// The human monitor's commands (as human-monitor-command runs them): text in, text out, laid
// out as QEMU 7.2's so that scripts scraping it keep working. Lines end with CRLF. An unknown
// command is not an error: its text says so ("unknown command: 'x'"), as in QEMU.
#include <string>
#include <string_view>

#include "monitor/machine_control.h"

namespace vireo {

[[nodiscard]] std::string run_hmp_command(std::string_view command_line, MachineControl& control);

} // namespace vireo
