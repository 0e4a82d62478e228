#pragma once
// -kernel/-initrd/-append: picks the loader by the image's format.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/read_file.h"
#include "base/result.h"
#include "machine/boot/boot_setup.h"
#include "machine/memory_map.h"
#include "memory/guest_memory.h"

namespace vireo {

// An ELF image boots through PVH, an image with a setup header as a bzImage. `path` only names
// the kernel in error messages.
[[nodiscard]] Result<BootSetup> load_kernel(const GuestMemory& memory, std::string_view path,
    std::span<const uint8_t> kernel, std::span<const uint8_t> initrd, std::string_view cmdline,
    std::span<const E820Entry> e820, uint64_t acpi_rsdp);

// Reads the kernel and the initrd (empty path: none) and loads them as load_kernel does.
[[nodiscard]] Result<BootSetup> load_kernel_files(const GuestMemory& memory, const std::string& kernel_path,
    const std::string& initrd_path, std::string_view cmdline, std::span<const E820Entry> e820, uint64_t acpi_rsdp);

} // namespace vireo
