#include <cstring>

#include <gtest/gtest.h>

#include "boot_test_util.h"
#include "machine/boot/low_memory.h"
#include "machine/boot/x86_entry_state.h"

using namespace vireo;

TEST(BootEntryState, LongModeRegistersAndPageTables)
{
    auto guest = test::make_test_guest(64ULL << 20);
    BootSetup setup;
    setup.mode = BootMode::Long64;
    setup.entry = 0x1000200;
    setup.boot_info_address = boot::k_boot_params_address;
    kvm_regs regs {};
    kvm_sregs sregs {};

    ASSERT_TRUE(prepare_boot_cpu(guest.memory, setup, regs, sregs));

    EXPECT_EQ(regs.rip, 0x1000200u);
    EXPECT_EQ(regs.rsi, boot::k_boot_params_address);
    EXPECT_EQ(regs.rflags, 2u);
    EXPECT_EQ(sregs.cr3, boot::k_pml4_address);
    EXPECT_TRUE(sregs.cr0 & k_cr0_pg);
    EXPECT_TRUE(sregs.cr0 & k_cr0_pe);
    EXPECT_TRUE(sregs.cr4 & k_cr4_pae);
    EXPECT_EQ(sregs.efer, k_efer_lme | k_efer_lma);
    EXPECT_EQ(sregs.cs.selector, 0x10);
    EXPECT_EQ(sregs.cs.l, 1);
    EXPECT_EQ(sregs.cs.db, 0);
    EXPECT_EQ(sregs.ds.selector, 0x18);
    EXPECT_EQ(sregs.ss.type, 3);

    // PML4[0] -> PDPT, PDPT[3] -> fourth PD, whose last entry maps 4 GiB - 2 MiB.
    EXPECT_EQ(guest.memory.read_obj<uint64_t>(boot::k_pml4_address).value(), boot::k_pdpt_address | 3);
    EXPECT_EQ(guest.memory.read_obj<uint64_t>(boot::k_pdpt_address + 3 * 8).value(), (boot::k_pd_address + 0x3000) | 3);
    EXPECT_EQ(guest.memory.read_obj<uint64_t>(boot::k_pd_address + 0x3000 + 511 * 8).value(), 0xffe00000u | 0x83);
    // The GDT's 64-bit code descriptor at selector 0x10 has L set and D clear.
    const uint64_t code64 = guest.memory.read_obj<uint64_t>(boot::k_gdt_address + 0x10).value();
    EXPECT_TRUE(code64 & (1ULL << 53));
    EXPECT_FALSE(code64 & (1ULL << 54));
}

TEST(BootEntryState, PvhIsFlat32BitWithoutPaging)
{
    auto guest = test::make_test_guest(64ULL << 20);
    BootSetup setup;
    setup.mode = BootMode::Protected32;
    setup.entry = 0x1000040;
    setup.boot_info_address = boot::k_pvh_start_info_address;
    kvm_regs regs {};
    kvm_sregs sregs {};

    ASSERT_TRUE(prepare_boot_cpu(guest.memory, setup, regs, sregs));

    EXPECT_EQ(regs.rip, 0x1000040u);
    EXPECT_EQ(regs.rbx, boot::k_pvh_start_info_address);
    EXPECT_EQ(sregs.cr0, k_cr0_pe | k_cr0_et);
    EXPECT_EQ(sregs.cr4, 0u);
    EXPECT_EQ(sregs.efer, 0u);
    EXPECT_EQ(sregs.cs.db, 1);
    EXPECT_EQ(sregs.cs.l, 0);
    EXPECT_EQ(sregs.cs.limit, 0xffffffffu);
    EXPECT_EQ(sregs.tr.type, 0xb);
    EXPECT_EQ(sregs.tr.limit, 0x67u);
}

TEST(BootEntryState, LowMemoryStructuresStayOutOfTheAcpiArea)
{
    const uint64_t ends[] = {
        boot::k_gdt_address + boot::k_gdt_size,
        boot::k_pvh_memmap_address + boot::k_pvh_memmap_max_entries * 24,
        boot::k_boot_params_address + boot::k_boot_params_size,
        boot::k_pd_address + boot::k_pd_count * 0x1000,
        boot::k_cmdline_address + boot::k_cmdline_area_size,
    };
    for (uint64_t end : ends)
        EXPECT_LE(end, pc::k_ebda_start);
}

TEST(BootEntryState, LapicVirtualWire)
{
    kvm_lapic_state lapic {};
    uint32_t masked = 1u << 16;
    std::memcpy(lapic.regs + 0x350, &masked, 4);

    set_lapic_virtual_wire(lapic);

    uint32_t lint0 = 0;
    uint32_t lint1 = 0;
    std::memcpy(&lint0, lapic.regs + 0x350, 4);
    std::memcpy(&lint1, lapic.regs + 0x360, 4);
    EXPECT_EQ(lint0, 0x700u);
    EXPECT_EQ(lint1, 0x400u);
}
