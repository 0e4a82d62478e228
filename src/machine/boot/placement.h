#pragma once
// Placement shared by the kernel loaders: the command line and the initrd.
#include <cstdint>
#include <span>
#include <string_view>

#include "base/result.h"
#include "machine/memory_map.h"
#include "memory/guest_memory.h"

namespace vireo::boot {

// Writes `cmdline` plus a NUL at k_cmdline_address. `max_length` is the longest command line
// the kernel accepts (not counting the NUL).
[[nodiscard]] Result<uint64_t> write_cmdline(const GuestMemory& memory, std::string_view cmdline, uint64_t max_length);

// End of the e820 RAM range that ends highest below 4 GiB (0 if none).
[[nodiscard]] uint64_t low_ram_end(std::span<const E820Entry> e820);

// Copies the initrd to the highest page-aligned address such that it ends at or below
// `limit_end` and starts at or above `lowest`; returns the address.
[[nodiscard]] Result<uint64_t> place_initrd(const GuestMemory& memory, std::span<const uint8_t> initrd,
    uint64_t lowest, uint64_t limit_end);

} // namespace vireo::boot
