#include "machine/boot/pvh.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "machine/boot/le_bytes.h"
#include "machine/boot/low_memory.h"
#include "machine/boot/placement.h"

namespace vireo {

namespace {

// Xen public/arch-x86/hvm/start_info.h, version 1.
struct HvmStartInfo {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
};
static_assert(sizeof(HvmStartInfo) == 56);

struct HvmModlistEntry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};
static_assert(sizeof(HvmModlistEntry) == 32);

struct HvmMemmapEntry {
    uint64_t addr;
    uint64_t size;
    uint32_t type; // e820 types
    uint32_t reserved;
};
static_assert(sizeof(HvmMemmapEntry) == 24);

// Kernel command lines longer than this are cut by x86 Linux (COMMAND_LINE_SIZE).
constexpr uint64_t k_pvh_cmdline_max = 2047;

// [offset, offset + length) inside a buffer of `size` bytes, overflow-safe.
bool in_bounds(uint64_t offset, uint64_t length, uint64_t size)
{
    return offset <= size && length <= size - offset;
}

Result<Elf64_Ehdr> read_elf_header(std::span<const uint8_t> elf)
{
    if (!looks_like_elf(elf) || elf.size() < sizeof(Elf64_Ehdr))
        return make_error("not an ELF image");
    Elf64_Ehdr header;
    std::memcpy(&header, elf.data(), sizeof header);
    if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB)
        return make_error("ELF kernel is not 64-bit little-endian");
    if (header.e_machine != EM_X86_64)
        return make_error("ELF kernel is not for x86-64 (e_machine {})", header.e_machine);
    if (header.e_phentsize != sizeof(Elf64_Phdr))
        return make_error("ELF kernel has program headers of {} bytes", header.e_phentsize);
    if (!in_bounds(header.e_phoff, uint64_t(header.e_phnum) * sizeof(Elf64_Phdr), elf.size()))
        return make_error("ELF kernel's program headers lie outside the file");
    return header;
}

std::vector<Elf64_Phdr> program_headers(std::span<const uint8_t> elf, const Elf64_Ehdr& header)
{
    std::vector<Elf64_Phdr> headers(header.e_phnum);
    std::memcpy(headers.data(), elf.data() + header.e_phoff, headers.size() * sizeof(Elf64_Phdr));
    return headers;
}

uint64_t align4(uint64_t value)
{
    return (value + 3) & ~uint64_t(3);
}

// Scans one PT_NOTE segment for the PVH entry note (ELF gABI note layout: namesz, descsz, type,
// name and desc each padded to 4 bytes).
Result<std::optional<uint32_t>> scan_notes(std::span<const uint8_t> notes)
{
    uint64_t offset = 0;
    while (notes.size() - offset >= sizeof(Elf64_Nhdr)) {
        const uint32_t name_size = load_le<uint32_t>(notes, offset);
        const uint32_t desc_size = load_le<uint32_t>(notes, offset + 4);
        const uint32_t type = load_le<uint32_t>(notes, offset + 8);
        const uint64_t name_offset = offset + sizeof(Elf64_Nhdr);
        const uint64_t desc_offset = name_offset + align4(name_size);
        if (!in_bounds(name_offset, align4(name_size), notes.size())
            || !in_bounds(desc_offset, desc_size, notes.size()))
            return make_error("ELF kernel has a malformed note");
        const bool is_xen = name_size == 4 && std::memcmp(notes.data() + name_offset, "Xen", 4) == 0;
        if (is_xen && type == k_xen_elfnote_phys32_entry) {
            // Linux emits the entry as a pointer-sized value (_ASM_PTR), others as .long.
            if (desc_size == 4)
                return std::optional(load_le<uint32_t>(notes, desc_offset));
            if (desc_size == 8) {
                const uint64_t entry = load_le<uint64_t>(notes, desc_offset);
                if (entry > UINT32_MAX)
                    return make_error("ELF kernel's PVH entry {:#x} is above 4 GiB", entry);
                return std::optional(static_cast<uint32_t>(entry));
            }
            return make_error("ELF kernel's PVH entry note has {} bytes", desc_size);
        }
        offset = desc_offset + align4(desc_size);
        if (offset > notes.size())
            break;
    }
    return std::optional<uint32_t>();
}

} // namespace

bool looks_like_elf(std::span<const uint8_t> image)
{
    return image.size() >= SELFMAG && std::memcmp(image.data(), ELFMAG, SELFMAG) == 0;
}

Result<uint32_t> find_pvh_entry(std::span<const uint8_t> elf)
{
    const Elf64_Ehdr header = TRY(read_elf_header(elf));
    for (const auto& segment : program_headers(elf, header)) {
        if (segment.p_type != PT_NOTE)
            continue;
        if (!in_bounds(segment.p_offset, segment.p_filesz, elf.size()))
            return make_error("ELF kernel's note segment lies outside the file");
        auto entry = TRY(scan_notes(elf.subspan(segment.p_offset, segment.p_filesz)));
        if (entry)
            return *entry;
    }
    return make_error("ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); build it with CONFIG_PVH=y or "
                      "boot a bzImage");
}

Result<BootSetup> load_pvh_elf(const GuestMemory& memory, std::span<const uint8_t> elf,
    std::span<const uint8_t> initrd, std::string_view cmdline, std::span<const E820Entry> e820, uint64_t acpi_rsdp)
{
    const uint32_t entry = TRY(find_pvh_entry(elf));
    const Elf64_Ehdr header = TRY(read_elf_header(elf));

    uint64_t kernel_start = UINT64_MAX;
    uint64_t kernel_end = 0;
    for (const auto& segment : program_headers(elf, header)) {
        if (segment.p_type != PT_LOAD || segment.p_memsz == 0)
            continue;
        if (segment.p_filesz > segment.p_memsz || !in_bounds(segment.p_offset, segment.p_filesz, elf.size()))
            return make_error("ELF kernel has a malformed segment at offset {:#x}", segment.p_offset);
        // Segments below 1 MiB would overwrite the boot structures and the ACPI tables.
        if (segment.p_paddr < pc::k_bios_area_end || !memory.contains(segment.p_paddr, segment.p_memsz))
            return make_error("ELF kernel segment {:#x}+{:#x} is not in guest RAM above 1 MiB; give the guest more "
                              "memory",
                segment.p_paddr, segment.p_memsz);
        auto target = TRY(memory.slice(segment.p_paddr, segment.p_memsz));
        std::memcpy(target.data(), elf.data() + segment.p_offset, segment.p_filesz);
        std::memset(target.data() + segment.p_filesz, 0, segment.p_memsz - segment.p_filesz);
        kernel_start = std::min(kernel_start, segment.p_paddr);
        kernel_end = std::max(kernel_end, segment.p_paddr + segment.p_memsz);
    }
    if (kernel_end == 0)
        return make_error("ELF kernel has no loadable segment");
    if (entry < kernel_start || entry >= kernel_end)
        return make_error("ELF kernel's PVH entry {:#x} is outside its segments", entry);

    const uint64_t cmdline_address = TRY(boot::write_cmdline(memory, cmdline, k_pvh_cmdline_max));

    HvmStartInfo info {};
    info.magic = k_hvm_start_magic;
    info.version = 1;
    info.cmdline_paddr = cmdline_address;
    info.rsdp_paddr = acpi_rsdp;

    uint64_t initrd_address = 0;
    if (!initrd.empty()) {
        initrd_address = TRY(boot::place_initrd(memory, initrd, kernel_end, boot::low_ram_end(e820)));
        HvmModlistEntry module { initrd_address, initrd.size(), 0, 0 };
        TRY(memory.write_obj(boot::k_pvh_modlist_address, module));
        info.nr_modules = 1;
        info.modlist_paddr = boot::k_pvh_modlist_address;
    }

    if (e820.size() > boot::k_pvh_memmap_max_entries)
        return make_error("e820 table has {} entries; at most {} fit", e820.size(), boot::k_pvh_memmap_max_entries);
    for (size_t i = 0; i < e820.size(); ++i) {
        HvmMemmapEntry entry_out { e820[i].address, e820[i].size, static_cast<uint32_t>(e820[i].type), 0 };
        TRY(memory.write_obj(boot::k_pvh_memmap_address + i * sizeof(HvmMemmapEntry), entry_out));
    }
    info.memmap_paddr = boot::k_pvh_memmap_address;
    info.memmap_entries = static_cast<uint32_t>(e820.size());
    TRY(memory.write_obj(boot::k_pvh_start_info_address, info));

    BootSetup setup;
    setup.mode = BootMode::Protected32;
    setup.entry = entry;
    setup.boot_info_address = boot::k_pvh_start_info_address;
    setup.kernel_start = kernel_start;
    setup.kernel_end = kernel_end;
    setup.initrd_address = initrd_address;
    setup.initrd_size = initrd.size();
    setup.cmdline_address = cmdline_address;
    return setup;
}

} // namespace vireo
