#include "machine/memory_map.h"

#include <algorithm>

#include "machine/pc_layout.h"

namespace vireo {

Result<MemoryLayout> compute_memory_layout(uint64_t ram_size)
{
    if (ram_size < k_min_ram_size)
        return make_error("guest RAM of {} KiB is too small: at least {} MiB are needed", ram_size >> 10,
            k_min_ram_size >> 20);
    if (ram_size % 4096)
        return make_error("guest RAM size {:#x} is not a multiple of 4 KiB", ram_size);
    // 2^46 bytes is past what the guest's physical address width could map together with the
    // 64-bit PCI window above RAM.
    if (ram_size > (1ULL << 46))
        return make_error("guest RAM of {} GiB is too large", ram_size >> 30);

    MemoryLayout layout;
    const uint64_t low = std::min(ram_size, pc::k_low_ram_max);
    const uint64_t high = ram_size - low;
    layout.ram_regions.push_back(GuestRegionSpec { 0, low });
    if (high)
        layout.ram_regions.push_back(GuestRegionSpec { pc::k_high_ram_start, high });
    layout.low_ram_end = low;
    layout.ram_top = high ? pc::k_high_ram_start + high : low;

    // Below 1 MiB: conventional memory up to the EBDA, then the EBDA, the VGA hole and the BIOS
    // area (where the ACPI tables live) reported as reserved so the kernel never allocates there.
    layout.e820.push_back(E820Entry { 0, pc::k_ebda_start, E820Type::Ram });
    layout.e820.push_back(E820Entry { pc::k_ebda_start, pc::k_bios_area_end - pc::k_ebda_start, E820Type::Reserved });
    layout.e820.push_back(E820Entry { pc::k_bios_area_end, low - pc::k_bios_area_end, E820Type::Ram });
    if (high)
        layout.e820.push_back(E820Entry { pc::k_high_ram_start, high, E820Type::Ram });
    return layout;
}

} // namespace vireo
