#pragma once
// The ACPI tables of the `pc` machine. For a direct kernel boot they are one image for guest
// RAM at 0xE0000, where both the boot loaders (acpi_rsdp_addr / rsdp_paddr) and a legacy RSDP
// scan find them. For a firmware boot they are two relocatable blobs (the RSDP and the rest)
// with the places of their pointers and checksums, which machine/firmware/acpi_table_loader
// turns into QEMU's etc/table-loader commands so that the firmware installs them.
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
    bool ps2_mouse = true;        // PNP0F13, IRQ 12: the i8042's AUX port
    bool rtc = true;              // PNP0B00 at 0x70, IRQ 8
    // The FADT describes a 24-bit ACPI PM timer at pc::k_pm_timer_port (no TMR_VAL_EXT).
    bool pm_timer = false;
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

// A field of a blob that holds a pointer into the tables blob: the blob stores the target's
// offset from the start of the tables blob; the loader adds the blob's guest address.
struct AcpiPointer {
    uint32_t offset; // of the field, in the blob that holds it
    uint8_t size;    // 4 or 8 bytes, little-endian
};

// A checksum byte that makes [start, start + length) sum to zero; 0 in the blob, so that the
// loader computes it after the pointers are patched (as QEMU's linker expects).
struct AcpiChecksum {
    uint32_t start;
    uint32_t length;
    uint32_t checksum_offset;
};

// The tables for a firmware boot (the same tables as build_acpi_tables gives).
struct AcpiFirmwareTables {
    std::vector<uint8_t> tables;             // FACS, DSDT, FADT, MADT, extras, XSDT, RSDT
    std::vector<uint8_t> rsdp;               // 36 bytes, ACPI 2.0+
    std::vector<AcpiPointer> table_pointers; // fields in `tables`
    std::vector<AcpiPointer> rsdp_pointers;  // fields in `rsdp` (RSDT and XSDT addresses)
    // Per table and for the RSDP, in the order to apply: a range that contains another
    // checksum byte (the RSDP's extended one) comes after it.
    std::vector<AcpiChecksum> table_checksums;
    std::vector<AcpiChecksum> rsdp_checksums;
};

// Builds the tables as relocatable blobs for a firmware boot; tables.tables is aligned to be
// loaded at a 64-byte boundary (the FACS is its first table).
[[nodiscard]] Result<AcpiFirmwareTables> build_acpi_firmware_tables(const AcpiConfig& config);

} // namespace vireo
