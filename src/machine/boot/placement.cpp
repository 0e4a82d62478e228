#include "machine/boot/placement.h"

#include <algorithm>
#include <vector>

#include "machine/boot/low_memory.h"

namespace vireo::boot {

Result<uint64_t> write_cmdline(const GuestMemory& memory, std::string_view cmdline, uint64_t max_length)
{
    max_length = std::min(max_length, k_cmdline_area_size - 1);
    if (cmdline.size() > max_length)
        return make_error("kernel command line is {} bytes long; the kernel accepts at most {}", cmdline.size(),
            max_length);
    std::vector<uint8_t> bytes(cmdline.begin(), cmdline.end());
    bytes.push_back(0);
    TRY(memory.write(k_cmdline_address, bytes));
    return k_cmdline_address;
}

uint64_t low_ram_end(std::span<const E820Entry> e820)
{
    constexpr uint64_t four_gib = 1ULL << 32;
    uint64_t end = 0;
    for (const auto& entry : e820) {
        if (entry.type != E820Type::Ram || entry.address >= four_gib)
            continue;
        end = std::max(end, std::min(entry.address + entry.size, four_gib));
    }
    return end;
}

Result<uint64_t> place_initrd(const GuestMemory& memory, std::span<const uint8_t> initrd, uint64_t lowest,
    uint64_t limit_end)
{
    constexpr uint64_t page = 4096;
    const uint64_t size = initrd.size();
    if (size > limit_end || ((limit_end - size) & ~(page - 1)) < lowest)
        return make_error("initrd of {} KiB does not fit in guest RAM between {:#x} and {:#x}; give the guest more "
                          "memory",
            size >> 10, lowest, limit_end);
    const uint64_t address = (limit_end - size) & ~(page - 1);
    TRY(memory.write(address, initrd));
    return address;
}

} // namespace vireo::boot
