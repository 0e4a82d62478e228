#pragma once
// Where the direct kernel boot puts its structures below 1 MiB. All of it is e820 RAM below
// the EBDA, away from the real-mode IVT/BDA (0-0x4FF) and from the ACPI tables at 0xE0000.
//
//   0x00500 - 0x0052F  GDT (null, code32 0x08, code64 0x10, data 0x18, TSS 0x20)
//   0x06000 - 0x06037  PVH hvm_start_info
//   0x06040 - 0x0605F  PVH module list (one entry: the initrd)
//   0x06080 - 0x06C7F  PVH memory map (up to 128 entries of 24 bytes)
//   0x07000 - 0x07FFF  Linux boot_params ("zero page")
//   0x08000 - 0x08FFF  initial stack (RSP/ESP = 0x8FF0)
//   0x09000 - 0x09FFF  PML4
//   0x0A000 - 0x0AFFF  PDPT
//   0x0B000 - 0x0EFFF  four page directories of 2 MiB pages: identity map of 0-4 GiB
//   0x20000 - 0x2FFFF  kernel command line
#include <cstdint>

#include "machine/pc_layout.h"

namespace vireo::boot {

constexpr uint64_t k_gdt_address = 0x500;
constexpr uint64_t k_pvh_start_info_address = 0x6000;
constexpr uint64_t k_pvh_modlist_address = 0x6040;
constexpr uint64_t k_pvh_memmap_address = 0x6080;
constexpr uint32_t k_pvh_memmap_max_entries = 128;
constexpr uint64_t k_boot_params_address = 0x7000;
constexpr uint64_t k_boot_params_size = 0x1000;
constexpr uint64_t k_stack_top = 0x8FF0;
constexpr uint64_t k_pml4_address = 0x9000;
constexpr uint64_t k_pdpt_address = 0xA000;
constexpr uint64_t k_pd_address = 0xB000; // four consecutive pages
constexpr uint64_t k_pd_count = 4;
constexpr uint64_t k_cmdline_address = 0x20000;
constexpr uint64_t k_cmdline_area_size = 0x10000; // including the terminating NUL

// Selectors in the boot GDT. Linux's 64-bit boot protocol wants __BOOT_CS = 0x10 and
// __BOOT_DS = 0x18 (Documentation/x86/boot.rst, "64-bit Boot Protocol").
constexpr uint16_t k_code32_selector = 0x08;
constexpr uint16_t k_code64_selector = 0x10;
constexpr uint16_t k_data_selector = 0x18;
constexpr uint16_t k_tss_selector = 0x20;
constexpr uint64_t k_gdt_size = 0x30; // 4 descriptors + a 16-byte system descriptor

static_assert(k_pvh_memmap_address + k_pvh_memmap_max_entries * 24 <= k_boot_params_address);
static_assert(k_pd_address + k_pd_count * 0x1000 <= k_cmdline_address);
static_assert(k_cmdline_address + k_cmdline_area_size <= pc::k_ebda_start);
static_assert(pc::k_ebda_start <= pc::k_bios_area_start);

} // namespace vireo::boot
