#pragma once
// One-line descriptions of interrupt-related state, for `kill -USR2 <vireo>`: what a stalled
// guest is waiting for (a vCPU halted with nothing pending, an IOAPIC pin masked or stuck with
// remote IRR, a UART interrupt cause without an edge).
#include <linux/kvm.h>

#include <string>

namespace vireo {

// vCPU registers that matter for a stall (RIP, IF) and its local APIC: TPR, the highest
// vectors in ISR and IRR, the timer's LVT and counts.
[[nodiscard]] std::string describe_vcpu_state(uint32_t apic_id, const kvm_regs& regs, const kvm_mp_state& mp,
    const kvm_lapic_state& lapic);
// The IOAPIC's unmasked or pending pins.
[[nodiscard]] std::string describe_ioapic(const kvm_ioapic_state& ioapic);
// A PIC's request, service and mask registers.
[[nodiscard]] std::string describe_pic(const char* name, const kvm_pic_state& pic);
// PIT channel 0 (the guest's tick when the APIC timer is not used).
[[nodiscard]] std::string describe_pit(const kvm_pit_state2& pit);

} // namespace vireo
