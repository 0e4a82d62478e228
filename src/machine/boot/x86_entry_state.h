#pragma once
// The boot vCPU's state at the kernel entry: the GDT and (for 64-bit) the identity-mapped page
// tables written into guest memory, and the registers to load with KVM_SET_REGS/KVM_SET_SREGS.
#include <linux/kvm.h>

#include "base/result.h"
#include "machine/boot/boot_setup.h"
#include "memory/guest_memory.h"

namespace vireo {

// Control register and EFER bits used at entry (Intel SDM vol. 3 §2.5, §2.2.1).
constexpr uint64_t k_cr0_pe = 1ULL << 0;
constexpr uint64_t k_cr0_et = 1ULL << 4;
constexpr uint64_t k_cr0_ne = 1ULL << 5;
constexpr uint64_t k_cr0_pg = 1ULL << 31;
constexpr uint64_t k_cr4_pae = 1ULL << 5;
constexpr uint64_t k_efer_lme = 1ULL << 8;
constexpr uint64_t k_efer_lma = 1ULL << 10;

// Writes the boot GDT and, for BootMode::Long64, the page tables identity-mapping 0-4 GiB
// with 2 MiB pages (see machine/boot/low_memory.h for the addresses).
[[nodiscard]] Result<void> write_entry_tables(const GuestMemory& memory, BootMode mode);

// Sets the registers for the entry described by `setup`. `sregs` should come from
// KVM_GET_SREGS so that fields not set here (APIC base, ...) keep their values.
void set_entry_registers(const BootSetup& setup, kvm_regs& regs, kvm_sregs& sregs);

// Programs LVT LINT0 as ExtINT (the 8259's INTR) and LINT1 as NMI in a KVM_GET_LAPIC state,
// as firmware leaves them on a PC (Intel MultiProcessor Specification §3.6.2.2, virtual wire
// mode); a kernel booted without firmware expects this wiring.
void set_lapic_virtual_wire(kvm_lapic_state& lapic);

// Both of the above.
[[nodiscard]] Result<void> prepare_boot_cpu(const GuestMemory& memory, const BootSetup& setup, kvm_regs& regs,
    kvm_sregs& sregs);

} // namespace vireo
