#pragma once
// Linux bzImage loading for the 64-bit boot protocol (Documentation/x86/boot.rst): the
// protected-mode kernel is copied to its load address and a boot_params ("zero page") is
// built in guest memory; the real-mode setup code is never run.
#include <cstdint>
#include <span>
#include <string_view>

#include "base/result.h"
#include "machine/boot/boot_setup.h"
#include "machine/memory_map.h"
#include "memory/guest_memory.h"

namespace vireo {

// The parts of a bzImage setup header the loader needs (boot.rst, "The Real-Mode Kernel Header").
struct BzImageHeader {
    uint16_t protocol = 0;        // 0x206, e.g. 0x020f
    uint8_t setup_sects = 0;      // 0x1f1, 0 means 4
    uint8_t loadflags = 0;        // 0x211
    uint16_t xloadflags = 0;      // 0x236
    uint32_t initrd_addr_max = 0; // 0x22c
    uint32_t kernel_alignment = 0;
    bool relocatable = false;
    uint32_t cmdline_size = 0;    // longest command line, without the NUL
    uint64_t pref_address = 0;
    uint32_t init_size = 0;       // memory the kernel needs from its load address while booting
    uint64_t setup_size = 0;      // bytes of real-mode code before the protected-mode kernel
    uint64_t header_end = 0;      // end of the setup header in the image (0x202 + byte at 0x201)
};

// Parses and validates the setup header. Needs protocol 2.12+ with XLF_KERNEL_64.
[[nodiscard]] Result<BzImageHeader> parse_bzimage_header(std::span<const uint8_t> kernel);

// True if the image carries a setup header ("HdrS" at 0x202 and boot flag 0xAA55).
[[nodiscard]] bool looks_like_bzimage(std::span<const uint8_t> kernel);

// Loads the kernel, the initrd (may be empty) and the command line, and writes boot_params
// with the e820 table and the RSDP address (0: none). Entry in 64-bit mode at load + 0x200.
[[nodiscard]] Result<BootSetup> load_bzimage(const GuestMemory& memory, std::span<const uint8_t> kernel,
    std::span<const uint8_t> initrd, std::string_view cmdline, std::span<const E820Entry> e820,
    uint64_t acpi_rsdp);

} // namespace vireo
