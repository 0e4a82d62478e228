#pragma once
// Loading an uncompressed ELF64 vmlinux through the PVH boot ABI (Xen's docs/misc/pvh.pandoc):
// PT_LOAD segments go to their physical addresses, the entry comes from the
// XEN_ELFNOTE_PHYS32_ENTRY note, and the kernel finds everything else in hvm_start_info.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/result.h"
#include "machine/boot/boot_setup.h"
#include "machine/memory_map.h"
#include "memory/guest_memory.h"

namespace vireo {

constexpr uint32_t k_xen_elfnote_phys32_entry = 18;
constexpr uint32_t k_hvm_start_magic = 0x336ec578;

// True if the image starts with the ELF magic.
[[nodiscard]] bool looks_like_elf(std::span<const uint8_t> image);

// The 32-bit PVH entry point of an ELF64 image, or an error if it has none or is malformed.
[[nodiscard]] Result<uint32_t> find_pvh_entry(std::span<const uint8_t> elf);

// Loads the kernel's segments, the initrd (as module 0; may be empty) and the command line, and
// writes hvm_start_info (version 1, with the e820 map as memmap) at k_pvh_start_info_address.
[[nodiscard]] Result<BootSetup> load_pvh_elf(const GuestMemory& memory, std::span<const uint8_t> elf,
    std::span<const uint8_t> initrd, std::string_view cmdline, std::span<const E820Entry> e820, uint64_t acpi_rsdp);

} // namespace vireo
