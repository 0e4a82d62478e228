#include "machine/boot/bzimage.h"

#include <algorithm>
#include <array>

#include "machine/boot/le_bytes.h"
#include "machine/boot/low_memory.h"
#include "machine/boot/placement.h"

namespace vireo {

namespace {

// Offsets in the image / in boot_params (Documentation/x86/boot.rst and zero-page.rst).
constexpr size_t k_setup_sects = 0x1f1;
constexpr size_t k_vid_mode = 0x1fa;
constexpr size_t k_boot_flag = 0x1fe;
constexpr size_t k_jump = 0x200;
constexpr size_t k_header_magic = 0x202;
constexpr size_t k_version = 0x206;
constexpr size_t k_type_of_loader = 0x210;
constexpr size_t k_loadflags = 0x211;
constexpr size_t k_ramdisk_image = 0x218;
constexpr size_t k_ramdisk_size = 0x21c;
constexpr size_t k_heap_end_ptr = 0x224;
constexpr size_t k_cmd_line_ptr = 0x228;
constexpr size_t k_initrd_addr_max = 0x22c;
constexpr size_t k_kernel_alignment = 0x230;
constexpr size_t k_relocatable_kernel = 0x234;
constexpr size_t k_xloadflags = 0x236;
constexpr size_t k_cmdline_size = 0x238;
constexpr size_t k_pref_address = 0x258;
constexpr size_t k_init_size = 0x260;
constexpr size_t k_min_header_end = 0x264; // through init_size, present from protocol 2.10

constexpr size_t k_bp_acpi_rsdp_addr = 0x070;
constexpr size_t k_bp_ext_ramdisk_image = 0x0c0;
constexpr size_t k_bp_ext_ramdisk_size = 0x0c4;
constexpr size_t k_bp_ext_cmd_line_ptr = 0x0c8;
constexpr size_t k_bp_e820_entries = 0x1e8;
constexpr size_t k_bp_e820_table = 0x2d0;
constexpr size_t k_bp_e820_max = 128;
constexpr size_t k_bp_setup_header_end_max = 0x290; // edd_mbr_sig_buffer follows the header

constexpr uint16_t k_boot_flag_value = 0xAA55;
constexpr uint32_t k_hdrs = 0x53726448; // "HdrS"

constexpr uint8_t k_loadflags_quiet = 1 << 5;
constexpr uint8_t k_loadflags_keep_segments = 1 << 6;
constexpr uint8_t k_loadflags_can_use_heap = 1 << 7;
constexpr uint16_t k_xlf_kernel_64 = 1 << 0;

constexpr uint64_t k_entry_64_offset = 0x200; // startup_64 (boot.rst, "64-bit Boot Protocol")

std::string protocol_string(uint16_t protocol)
{
    return fmt::format("{}.{:02}", protocol >> 8, protocol & 0xff);
}

} // namespace

bool looks_like_bzimage(std::span<const uint8_t> kernel)
{
    return kernel.size() >= k_header_magic + 4 && load_le<uint16_t>(kernel, k_boot_flag) == k_boot_flag_value
        && load_le<uint32_t>(kernel, k_header_magic) == k_hdrs;
}

Result<BzImageHeader> parse_bzimage_header(std::span<const uint8_t> kernel)
{
    if (!looks_like_bzimage(kernel))
        return make_error("not a Linux kernel (no setup header)");

    BzImageHeader header;
    header.protocol = load_le<uint16_t>(kernel, k_version);
    // xloadflags and XLF_KERNEL_64 arrived with protocol 2.12.
    if (header.protocol < 0x020c)
        return make_error("kernel boot protocol {} is too old: 2.12 or newer is needed for the 64-bit entry",
            protocol_string(header.protocol));
    header.header_end = k_jump + 2 + kernel[k_jump + 1];
    if (header.header_end < k_min_header_end || header.header_end > k_bp_setup_header_end_max
        || header.header_end > kernel.size())
        return make_error("kernel setup header is malformed (ends at {:#x})", header.header_end);

    header.setup_sects = kernel[k_setup_sects];
    header.loadflags = kernel[k_loadflags];
    header.xloadflags = load_le<uint16_t>(kernel, k_xloadflags);
    header.initrd_addr_max = load_le<uint32_t>(kernel, k_initrd_addr_max);
    header.kernel_alignment = load_le<uint32_t>(kernel, k_kernel_alignment);
    header.relocatable = kernel[k_relocatable_kernel] != 0;
    header.cmdline_size = load_le<uint32_t>(kernel, k_cmdline_size);
    header.pref_address = load_le<uint64_t>(kernel, k_pref_address);
    header.init_size = load_le<uint32_t>(kernel, k_init_size);
    header.setup_size = (uint64_t(header.setup_sects ? header.setup_sects : 4) + 1) * 512;

    if (!(header.xloadflags & k_xlf_kernel_64))
        return make_error("kernel has no 64-bit entry point (XLF_KERNEL_64 not set)");
    if (header.setup_size >= kernel.size())
        return make_error("kernel image is truncated: {} bytes, setup code alone is {}", kernel.size(),
            header.setup_size);
    return header;
}

Result<BootSetup> load_bzimage(const GuestMemory& memory, std::span<const uint8_t> kernel,
    std::span<const uint8_t> initrd, std::string_view cmdline, std::span<const E820Entry> e820, uint64_t acpi_rsdp)
{
    const BzImageHeader header = TRY(parse_bzimage_header(kernel));
    const auto protected_mode = kernel.subspan(header.setup_size);

    // Load where the kernel prefers; it decompresses in place there, needing init_size bytes.
    const uint64_t load_address = header.pref_address;
    if (header.kernel_alignment && load_address % header.kernel_alignment)
        return make_error("kernel's preferred load address {:#x} is not aligned to {:#x}", load_address,
            header.kernel_alignment);
    const uint64_t footprint = std::max<uint64_t>(header.init_size, protected_mode.size());
    if (load_address < pc::k_bios_area_end || !memory.contains(load_address, footprint))
        return make_error("kernel needs guest RAM from {:#x} to {:#x}; give the guest more memory", load_address,
            load_address + footprint);
    TRY(memory.write(load_address, protected_mode));
    const uint64_t kernel_end = load_address + footprint;

    // boot_params: zeroed, then the setup header copied from the image (boot.rst, "64-bit Boot
    // Protocol": "setup_header ... should be loaded from the kernel image").
    std::array<uint8_t, boot::k_boot_params_size> params {};
    std::copy(kernel.begin() + k_setup_sects, kernel.begin() + static_cast<ptrdiff_t>(header.header_end),
        params.begin() + k_setup_sects);

    params[k_type_of_loader] = 0xff; // an undefined boot loader
    uint8_t loadflags = header.loadflags;
    loadflags &= static_cast<uint8_t>(~(k_loadflags_quiet | k_loadflags_keep_segments));
    loadflags |= k_loadflags_can_use_heap;
    params[k_loadflags] = loadflags;
    store_le<uint16_t>(params, k_heap_end_ptr, 0xfe00);
    store_le<uint16_t>(params, k_vid_mode, 0xffff); // "normal" video mode

    // The command line; protocols 2.06+ state how long it may be.
    const uint64_t cmdline_address = TRY(boot::write_cmdline(memory, cmdline, header.cmdline_size));
    store_le<uint32_t>(params, k_cmd_line_ptr, static_cast<uint32_t>(cmdline_address));
    store_le<uint32_t>(params, k_bp_ext_cmd_line_ptr, 0);

    // The initrd: as high as possible below initrd_addr_max and the end of low RAM, above the kernel.
    uint64_t initrd_address = 0;
    if (!initrd.empty()) {
        const uint64_t limit = std::min(uint64_t(header.initrd_addr_max) + 1, boot::low_ram_end(e820));
        initrd_address = TRY(boot::place_initrd(memory, initrd, kernel_end, limit));
        store_le<uint32_t>(params, k_ramdisk_image, static_cast<uint32_t>(initrd_address));
        store_le<uint32_t>(params, k_ramdisk_size, static_cast<uint32_t>(initrd.size()));
        store_le<uint32_t>(params, k_bp_ext_ramdisk_image, 0);
        store_le<uint32_t>(params, k_bp_ext_ramdisk_size, 0);
    }

    if (e820.size() > k_bp_e820_max)
        return make_error("e820 table has {} entries; boot_params holds at most {}", e820.size(), k_bp_e820_max);
    params[k_bp_e820_entries] = static_cast<uint8_t>(e820.size());
    for (size_t i = 0; i < e820.size(); ++i) {
        const size_t offset = k_bp_e820_table + i * 20;
        store_le<uint64_t>(params, offset, e820[i].address);
        store_le<uint64_t>(params, offset + 8, e820[i].size);
        store_le<uint32_t>(params, offset + 16, static_cast<uint32_t>(e820[i].type));
    }

    // acpi_rsdp_addr is read from protocol 2.14 on; older kernels scan 0xE0000-0xFFFFF.
    if (header.protocol >= 0x020e)
        store_le<uint64_t>(params, k_bp_acpi_rsdp_addr, acpi_rsdp);

    TRY(memory.write(boot::k_boot_params_address, params));

    BootSetup setup;
    setup.mode = BootMode::Long64;
    setup.entry = load_address + k_entry_64_offset;
    setup.boot_info_address = boot::k_boot_params_address;
    setup.kernel_start = load_address;
    setup.kernel_end = kernel_end;
    setup.initrd_address = initrd_address;
    setup.initrd_size = initrd.size();
    setup.cmdline_address = cmdline_address;
    return setup;
}

} // namespace vireo
