#pragma once
// What the monitor asks about a built machine, read from its parts: PCI bus 0's functions
// (from their configuration space), the NICs, and a vCPU's registers in the monitor's terms.
#include <linux/kvm.h>

#include <vector>

#include "machine/assembly/machine_parts.h"
#include "monitor/machine_control.h"

namespace vireo {

[[nodiscard]] std::vector<PciFunctionInfo> pci_function_list(const MachineParts& parts);
[[nodiscard]] std::vector<NetClientInfo> network_client_list(const MachineParts& parts);
[[nodiscard]] VcpuRegisters vcpu_registers_of(const kvm_regs& regs, const kvm_sregs& sregs);

} // namespace vireo
