#include "machine/vcpu_setup.h"

#include <array>

#include "kvm/lapic_registers.h"

namespace vireo {

namespace {

// MSR numbers (Intel SDM vol. 4).
constexpr uint32_t k_msr_ia32_tsc = 0x10;
constexpr uint32_t k_msr_ia32_misc_enable = 0x1a0;
constexpr uint32_t k_msr_mtrr_def_type = 0x2ff;
constexpr uint32_t k_msr_ia32_sysenter_cs = 0x174;
constexpr uint32_t k_msr_ia32_sysenter_esp = 0x175;
constexpr uint32_t k_msr_ia32_sysenter_eip = 0x176;
constexpr uint32_t k_msr_star = 0xc0000081;
constexpr uint32_t k_msr_lstar = 0xc0000082;
constexpr uint32_t k_msr_cstar = 0xc0000083;
constexpr uint32_t k_msr_syscall_mask = 0xc0000084;
constexpr uint32_t k_msr_kernel_gs_base = 0xc0000102;

constexpr uint64_t k_misc_enable_fast_string = 1;
// MTRRs enabled, default type write-back: all RAM is cacheable without per-range MTRRs.
constexpr uint64_t k_mtrr_enable_write_back = (1 << 11) | 6;

// LVT delivery modes (Intel SDM vol. 3 §11.5.1).
constexpr uint32_t k_delivery_mode_extint = 0x7 << 8;
constexpr uint32_t k_delivery_mode_nmi = 0x4 << 8;
constexpr uint32_t k_delivery_mode_mask = 0x7 << 8;

} // namespace

Result<void> set_up_vcpu_common(Vcpu& vcpu, std::span<const kvm_cpuid_entry2> cpuid)
{
    TRY(vcpu.set_cpuid(cpuid));

    std::array msrs {
        kvm_msr_entry { k_msr_ia32_sysenter_cs, 0, 0 },
        kvm_msr_entry { k_msr_ia32_sysenter_esp, 0, 0 },
        kvm_msr_entry { k_msr_ia32_sysenter_eip, 0, 0 },
        kvm_msr_entry { k_msr_star, 0, 0 },
        kvm_msr_entry { k_msr_cstar, 0, 0 },
        kvm_msr_entry { k_msr_kernel_gs_base, 0, 0 },
        kvm_msr_entry { k_msr_syscall_mask, 0, 0 },
        kvm_msr_entry { k_msr_lstar, 0, 0 },
        kvm_msr_entry { k_msr_ia32_tsc, 0, 0 },
        kvm_msr_entry { k_msr_ia32_misc_enable, 0, k_misc_enable_fast_string },
        kvm_msr_entry { k_msr_mtrr_def_type, 0, k_mtrr_enable_write_back },
    };
    TRY(vcpu.set_msrs(msrs));

    // x87 control word and SSE control/status as after FNINIT and reset (Intel SDM vol. 1 §8.1.5, §10.2.3).
    kvm_fpu fpu {};
    fpu.fcw = 0x37f;
    fpu.mxcsr = 0x1f80;
    TRY(vcpu.set_fpu(fpu));

    // LINT0 takes the PIC's ExtINT and LINT1 the NMI, as on a PC (MP spec §3.6.1 virtual wire mode).
    auto lapic = TRY(vcpu.get_lapic());
    uint32_t lint0 = lapic::read_register(lapic, lapic::k_lvt_lint0);
    uint32_t lint1 = lapic::read_register(lapic, lapic::k_lvt_lint1);
    lapic::write_register(lapic, lapic::k_lvt_lint0, (lint0 & ~k_delivery_mode_mask) | k_delivery_mode_extint);
    lapic::write_register(lapic, lapic::k_lvt_lint1, (lint1 & ~k_delivery_mode_mask) | k_delivery_mode_nmi);
    TRY(vcpu.set_lapic(lapic));
    return {};
}

} // namespace vireo
