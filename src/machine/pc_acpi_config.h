#pragma once
// The ACPI description of the `pc` machine, the same for a direct kernel boot (tables in RAM)
// and a firmware boot (tables handed over through fw_cfg's table loader).
#include "config/vm_config.h"
#include "machine/acpi/acpi_tables.h"
#include "machine/memory_map.h"

namespace vireo {

[[nodiscard]] CpuTopology topology_of(const SmpConfig& smp);
[[nodiscard]] AcpiConfig pc_acpi_config(const VmConfig& config, const MemoryLayout& layout);

} // namespace vireo
