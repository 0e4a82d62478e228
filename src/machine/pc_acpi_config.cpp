#include "machine/pc_acpi_config.h"

#include "machine/pc_layout.h"

namespace vireo {

CpuTopology topology_of(const SmpConfig& smp)
{
    return CpuTopology { smp.sockets, smp.cores, smp.threads };
}

AcpiConfig pc_acpi_config(const VmConfig& config, const MemoryLayout& layout)
{
    AcpiConfig acpi;
    acpi.topology = topology_of(config.smp);
    acpi.cpu_count = config.smp.cpus;
    acpi.ram_top = layout.ram_top;
    acpi.pm_timer = true; // the PIIX4 PM timer (assembly/chipset_builder.cpp)
    acpi.pci_intx_gsis.assign(pc::k_pci_intx_gsis.begin(), pc::k_pci_intx_gsis.end());
    return acpi;
}

} // namespace vireo
