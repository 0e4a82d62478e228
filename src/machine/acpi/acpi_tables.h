#pragma once
// The ACPI tables of the `pc` machine, built as one image for guest RAM at 0xE0000 where both
// the boot loaders (acpi_rsdp_addr / rsdp_paddr) and a legacy RSDP scan find them.
#include <cstdint>
#include <vector>

#include "base/result.h"
#include "machine/cpuid.h"
#include "machine/pc_layout.h"

namespace vireo {

struct AcpiConfig {
    CpuTopology topology;
    uint32_t cpu_count = 1;       // vCPUs present: indices 0..cpu_count-1 of the topology
    uint64_t ram_top = 0;         // end of the highest RAM; the 64-bit PCI window lies above it
    bool pci_mmio64 = true;       // describe [pc::pci_mmio64_start(ram_top), + k_pci_mmio64_size)
    bool com1 = true;             // PNP0501 at pc::k_com1_port, IRQ pc::k_com1_irq
    bool ps2_keyboard = true;     // PNP0303 at 0x60/0x64, IRQ 1
    bool ps2_mouse = false;       // PNP0F13, IRQ 12
    bool rtc = true;              // PNP0B00 at 0x70, IRQ 8
    // GSIs of INTA..INTD at slot 0 of bus 0; slot s pin p uses entry (s + p) % 4. Empty: no _PRT.
    std::vector<uint32_t> pci_intx_gsis;
    // Further complete tables (header included) to list in the XSDT; checksums are recomputed.
    std::vector<std::vector<uint8_t>> extra_tables;
};

struct AcpiTables {
    uint64_t address = pc::k_bios_area_start; // where `image` goes in guest memory
    std::vector<uint8_t> image;
    uint64_t rsdp_address = 0;                // for boot_params.acpi_rsdp_addr / rsdp_paddr
};

// Builds RSDP, XSDT, RSDT, FADT, FACS, DSDT and MADT (plus config.extra_tables).
[[nodiscard]] Result<AcpiTables> build_acpi_tables(const AcpiConfig& config);

} // namespace vireo
