#pragma once
// The guest-physical memory map of the `pc` machine for a given RAM size: the RAM regions
// to create and the e820 table the firmware interface reports to the kernel.
#include <cstdint>
#include <vector>

#include "base/result.h"
#include "memory/guest_memory.h"

namespace vireo {

// e820 address range types (ACPI 6.4 §15, "System Address Map Interfaces").
enum class E820Type : uint32_t {
    Ram = 1,
    Reserved = 2,
    Acpi = 3,
    Nvs = 4,
    Unusable = 5,
};

struct E820Entry {
    uint64_t address;
    uint64_t size;
    E820Type type;

    bool operator==(const E820Entry&) const = default;
};

struct MemoryLayout {
    std::vector<GuestRegionSpec> ram_regions; // low RAM at 0, the rest at 4 GiB
    std::vector<E820Entry> e820;
    uint64_t low_ram_end;                     // end of RAM below 4 GiB
    uint64_t ram_top;                         // end of the highest RAM (for the 64-bit PCI window)
};

// Smallest RAM size accepted: a kernel does not fit in less.
constexpr uint64_t k_min_ram_size = 16ULL << 20;

// Lays out `ram_size` bytes of RAM: [0, min(size, 3 GiB)) and the remainder from 4 GiB.
// The size must be a multiple of 4 KiB and at least k_min_ram_size.
[[nodiscard]] Result<MemoryLayout> compute_memory_layout(uint64_t ram_size);

} // namespace vireo
