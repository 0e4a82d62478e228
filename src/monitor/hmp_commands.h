#pragma once
// The pieces of the human monitor's commands (hmp.cpp dispatches to them), apart so that each
// is unit-tested on its own: the info subcommands, the register layout, sendkey's key names.
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "monitor/machine_control.h"

namespace vireo {

// "info WHAT ARGS": the text, or "unknown command: 'info WHAT'".
[[nodiscard]] std::string run_hmp_info(std::string_view what, std::string_view arguments, MachineControl& control);
// The subcommands' help lines ("info pci  -- show PCI info"), sorted.
[[nodiscard]] std::string hmp_info_help(std::string_view only = {});

// `info registers` for one vCPU, laid out as QEMU 7.2's x86 dump (without the debug, FPU and
// SSE registers, which vireo does not read).
[[nodiscard]] std::string format_vcpu_registers(uint32_t index, const VcpuRegisters& registers);

// A sendkey argument ("ctrl-alt-f1", "0x1c"): its keys in order, or QEMU's error text.
[[nodiscard]] Result<std::vector<PcKeyCode>> parse_key_combination(std::string_view text);

// A PCI class as `info pci` names it ("IDE controller", or "Class 0255" when unnamed).
[[nodiscard]] std::string pci_class_description(uint32_t class_code);

} // namespace vireo
