#pragma once
// Runs a VM from its configuration until it powers off, resetting it when the guest reboots
// (unless -no-reboot). Returns the process exit status.
#include "config/vm_config.h"

namespace vireo {

[[nodiscard]] int run_vm(const VmConfig& config);

} // namespace vireo
