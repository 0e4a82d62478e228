#include "monitor/guest_page_walk.h"

#include <algorithm>

namespace vireo {

namespace {

constexpr uint64_t k_cr0_pg = 1ULL << 31;
constexpr uint64_t k_cr4_pse = 1ULL << 4;
constexpr uint64_t k_cr4_pae = 1ULL << 5;
constexpr uint64_t k_cr4_la57 = 1ULL << 12;
constexpr uint64_t k_efer_lma = 1ULL << 10;
constexpr uint64_t k_present = 1;
constexpr uint64_t k_page_size_bit = 1ULL << 7; // PS: this entry maps a large page
constexpr uint64_t k_address_mask = 0x000ffffffffff000ULL; // bits 51:12

Result<uint64_t> read_entry(const PhysicalReader& read, uint64_t address, size_t size)
{
    uint64_t value = 0;
    TRY(read(address, std::span(reinterpret_cast<uint8_t*>(&value), size)));
    return value;
}

Result<uint64_t> walk_long_mode(const VcpuRegisters& registers, const PhysicalReader& read, uint64_t address)
{
    int levels = registers.cr4 & k_cr4_la57 ? 5 : 4;
    uint64_t table = registers.cr3 & k_address_mask;
    for (int level = levels; level >= 1; --level) {
        unsigned shift = 12 + 9 * static_cast<unsigned>(level - 1);
        uint64_t index = (address >> shift) & 0x1ff;
        uint64_t entry = TRY(read_entry(read, table + index * 8, 8));
        if (!(entry & k_present))
            return make_error("not mapped");
        // PS in a PDPTE (1 GiB) or PDE (2 MiB) maps a page (§4.5.4).
        if ((level == 2 || level == 3) && (entry & k_page_size_bit)) {
            uint64_t page_mask = (1ULL << shift) - 1;
            return (entry & k_address_mask & ~page_mask) | (address & page_mask);
        }
        table = entry & k_address_mask;
    }
    return table | (address & 0xfff);
}

Result<uint64_t> walk_pae(const VcpuRegisters& registers, const PhysicalReader& read, uint64_t address)
{
    uint64_t pdpte = TRY(read_entry(read, (registers.cr3 & 0xffffffe0) + ((address >> 30) & 3) * 8, 8));
    if (!(pdpte & k_present))
        return make_error("not mapped");
    uint64_t pde = TRY(read_entry(read, (pdpte & k_address_mask) + ((address >> 21) & 0x1ff) * 8, 8));
    if (!(pde & k_present))
        return make_error("not mapped");
    if (pde & k_page_size_bit)
        return (pde & k_address_mask & ~0x1fffffULL) | (address & 0x1fffff);
    uint64_t pte = TRY(read_entry(read, (pde & k_address_mask) + ((address >> 12) & 0x1ff) * 8, 8));
    if (!(pte & k_present))
        return make_error("not mapped");
    return (pte & k_address_mask) | (address & 0xfff);
}

Result<uint64_t> walk_32bit(const VcpuRegisters& registers, const PhysicalReader& read, uint64_t address)
{
    uint64_t pde = TRY(read_entry(read, (registers.cr3 & 0xfffff000) + ((address >> 22) & 0x3ff) * 4, 4));
    if (!(pde & k_present))
        return make_error("not mapped");
    if ((registers.cr4 & k_cr4_pse) && (pde & k_page_size_bit)) // 4 MiB page; bits 20:13 are 39:32
        return (pde & 0xffc00000) | ((pde & 0x1fe000) << 19) | (address & 0x3fffff);
    uint64_t pte = TRY(read_entry(read, (pde & 0xfffff000) + ((address >> 12) & 0x3ff) * 4, 4));
    if (!(pte & k_present))
        return make_error("not mapped");
    return (pte & 0xfffff000) | (address & 0xfff);
}

} // namespace

Result<uint64_t> translate_virtual(const VcpuRegisters& registers, const PhysicalReader& read, uint64_t address)
{
    if (!(registers.cr0 & k_cr0_pg))
        return address; // no paging: virtual is physical (segment bases aside, as QEMU's x)
    if (registers.efer & k_efer_lma)
        return walk_long_mode(registers, read, address);
    if (registers.cr4 & k_cr4_pae)
        return walk_pae(registers, read, address & 0xffffffff);
    return walk_32bit(registers, read, address & 0xffffffff);
}

Result<void> read_virtual(const VcpuRegisters& registers, const PhysicalReader& read, uint64_t address,
    std::span<uint8_t> out)
{
    while (!out.empty()) {
        uint64_t in_page = 0x1000 - (address & 0xfff);
        size_t length = static_cast<size_t>(std::min<uint64_t>(in_page, out.size()));
        uint64_t physical = TRY(translate_virtual(registers, read, address));
        TRY(read(physical, out.first(length)));
        out = out.subspan(length);
        address += length;
    }
    return {};
}

} // namespace vireo
