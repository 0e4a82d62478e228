#include "machine/boot/x86_entry_state.h"

#include <array>
#include <cstring>

#include "machine/boot/low_memory.h"

namespace vireo {

namespace {

// Page-table entry bits (Intel SDM vol. 3 §4.5).
constexpr uint64_t k_pte_present = 1ULL << 0;
constexpr uint64_t k_pte_writable = 1ULL << 1;
constexpr uint64_t k_pte_large = 1ULL << 7; // PS: a 2 MiB page in a page directory

// Flat segment descriptors (Intel SDM vol. 3 §3.4.5): base 0, limit 0xFFFFF pages.
constexpr uint64_t k_gdt_code32 = 0x00CF'9B00'0000'FFFF; // G, D, P, S, type 0xB (execute/read, accessed)
constexpr uint64_t k_gdt_code64 = 0x00AF'9B00'0000'FFFF; // G, L, P, S, type 0xB
constexpr uint64_t k_gdt_data = 0x00CF'9300'0000'FFFF;   // G, B, P, S, type 0x3 (read/write, accessed)
constexpr uint64_t k_gdt_tss = 0x0000'8B00'0000'0067;    // P, type 0xB (busy TSS), limit 0x67

kvm_segment flat_segment(uint16_t selector, uint8_t type, bool code64)
{
    kvm_segment segment {};
    segment.base = 0;
    segment.limit = 0xffff'ffff;
    segment.selector = selector;
    segment.type = type;
    segment.present = 1;
    segment.dpl = 0;
    segment.db = code64 ? 0 : 1;
    segment.s = 1;
    segment.l = code64 ? 1 : 0;
    segment.g = 1;
    return segment;
}

} // namespace

Result<void> write_entry_tables(const GuestMemory& memory, BootMode mode)
{
    std::array<uint64_t, boot::k_gdt_size / 8> gdt { 0, k_gdt_code32, k_gdt_code64, k_gdt_data, k_gdt_tss, 0 };
    TRY(memory.write_obj(boot::k_gdt_address, gdt));
    if (mode != BootMode::Long64)
        return {};

    std::array<uint64_t, 512> table {};
    table[0] = boot::k_pdpt_address | k_pte_present | k_pte_writable;
    TRY(memory.write_obj(boot::k_pml4_address, table));

    table.fill(0);
    for (uint64_t i = 0; i < boot::k_pd_count; ++i)
        table[i] = (boot::k_pd_address + i * 0x1000) | k_pte_present | k_pte_writable;
    TRY(memory.write_obj(boot::k_pdpt_address, table));

    for (uint64_t directory = 0; directory < boot::k_pd_count; ++directory) {
        for (uint64_t i = 0; i < 512; ++i) {
            const uint64_t address = (directory << 30) | (i << 21);
            table[i] = address | k_pte_present | k_pte_writable | k_pte_large;
        }
        TRY(memory.write_obj(boot::k_pd_address + directory * 0x1000, table));
    }
    return {};
}

void set_entry_registers(const BootSetup& setup, kvm_regs& regs, kvm_sregs& sregs)
{
    std::memset(&regs, 0, sizeof regs);
    regs.rflags = 2; // bit 1 is reserved and always set; IF, TF, VM clear
    regs.rip = setup.entry;
    regs.rsp = boot::k_stack_top;

    sregs.gdt.base = boot::k_gdt_address;
    sregs.gdt.limit = boot::k_gdt_size - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;

    const bool long_mode = setup.mode == BootMode::Long64;
    const kvm_segment code = long_mode ? flat_segment(boot::k_code64_selector, 0xb, true)
                                       : flat_segment(boot::k_code32_selector, 0xb, false);
    const kvm_segment data = flat_segment(boot::k_data_selector, 0x3, false);
    sregs.cs = code;
    sregs.ds = data;
    sregs.es = data;
    sregs.fs = data;
    sregs.gs = data;
    sregs.ss = data;

    // PVH wants an active 32-bit TSS with limit 0x67; VM entry needs a usable busy TSS either way.
    kvm_segment tss {};
    tss.selector = boot::k_tss_selector;
    tss.limit = 0x67;
    tss.type = 0xb;
    tss.present = 1;
    sregs.tr = tss;
    kvm_segment ldt {};
    ldt.type = 0x2;
    ldt.present = 1;
    ldt.unusable = 1;
    sregs.ldt = ldt;

    if (long_mode) {
        // Linux 64-bit boot protocol: paging on with an identity map of the loaded kernel,
        // boot_params and command line; RSI = boot_params.
        sregs.cr0 = k_cr0_pe | k_cr0_et | k_cr0_ne | k_cr0_pg;
        sregs.cr3 = boot::k_pml4_address;
        sregs.cr4 = k_cr4_pae;
        sregs.efer = k_efer_lme | k_efer_lma;
        regs.rsi = setup.boot_info_address;
    } else {
        // PVH (pvh.pandoc): CR0.PE only, CR4 clear, paging off; EBX = hvm_start_info.
        sregs.cr0 = k_cr0_pe | k_cr0_et;
        sregs.cr3 = 0;
        sregs.cr4 = 0;
        sregs.efer = 0;
        regs.rbx = setup.boot_info_address;
    }
}

void set_lapic_virtual_wire(kvm_lapic_state& lapic)
{
    // LVT registers (Intel SDM vol. 3 §10.5.1): delivery mode in bits 10:8, mask in bit 16.
    constexpr size_t k_lvt_lint0 = 0x350;
    constexpr size_t k_lvt_lint1 = 0x360;
    constexpr uint32_t k_delivery_mask = 0x7u << 8;
    constexpr uint32_t k_delivery_nmi = 0x4u << 8;
    constexpr uint32_t k_delivery_extint = 0x7u << 8;
    constexpr uint32_t k_masked = 1u << 16;
    auto update = [&](size_t offset, uint32_t mode) {
        uint32_t value;
        std::memcpy(&value, lapic.regs + offset, sizeof value);
        value = (value & ~(k_delivery_mask | k_masked)) | mode;
        std::memcpy(lapic.regs + offset, &value, sizeof value);
    };
    update(k_lvt_lint0, k_delivery_extint);
    update(k_lvt_lint1, k_delivery_nmi);
}

Result<void> prepare_boot_cpu(const GuestMemory& memory, const BootSetup& setup, kvm_regs& regs, kvm_sregs& sregs)
{
    TRY(write_entry_tables(memory, setup.mode));
    set_entry_registers(setup, regs, sregs);
    return {};
}

} // namespace vireo
