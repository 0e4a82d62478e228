#include "machine/state_report.h"

#include <fmt/format.h>

#include "kvm/lapic_registers.h"

namespace vireo {

namespace {

// The highest vector set in an 8 x 32-bit APIC bitmap (ISR or IRR; registers 16 bytes apart,
// SDM vol. 3 §11.8.4), or -1.
int highest_vector(const kvm_lapic_state& lapic, size_t base)
{
    for (int reg = 7; reg >= 0; --reg) {
        uint32_t bits = lapic::read_register(lapic, base + static_cast<size_t>(reg) * 0x10);
        if (bits)
            return reg * 32 + 31 - __builtin_clz(bits);
    }
    return -1;
}

const char* mp_state_name(uint32_t state)
{
    switch (state) {
    case KVM_MP_STATE_RUNNABLE:
        return "runnable";
    case KVM_MP_STATE_UNINITIALIZED:
        return "uninitialized";
    case KVM_MP_STATE_INIT_RECEIVED:
        return "init-received";
    case KVM_MP_STATE_HALTED:
        return "halted";
    case KVM_MP_STATE_SIPI_RECEIVED:
        return "sipi-received";
    default:
        return "other";
    }
}

} // namespace

std::string describe_vcpu_state(uint32_t apic_id, const kvm_regs& regs, const kvm_mp_state& mp,
    const kvm_lapic_state& lapic)
{
    constexpr uint64_t k_rflags_if = 1u << 9;
    return fmt::format("vCPU {}: {} rip {:#x} IF {} | lapic TPR {:#x} ISR top {} IRR top {} SVR {:#x} "
                       "LVT timer {:#x} initial count {} current count {} LINT0 {:#x}",
        apic_id, mp_state_name(mp.mp_state), regs.rip, (regs.rflags & k_rflags_if) ? 1 : 0,
        lapic::read_register(lapic, lapic::k_tpr), highest_vector(lapic, lapic::k_isr),
        highest_vector(lapic, lapic::k_irr), lapic::read_register(lapic, lapic::k_svr),
        lapic::read_register(lapic, lapic::k_lvt_timer), lapic::read_register(lapic, lapic::k_timer_initial_count),
        lapic::read_register(lapic, lapic::k_timer_current_count), lapic::read_register(lapic, lapic::k_lvt_lint0));
}

std::string describe_ioapic(const kvm_ioapic_state& ioapic)
{
    std::string text = fmt::format("IOAPIC irr {:#x}:", ioapic.irr);
    for (unsigned pin = 0; pin < KVM_IOAPIC_NUM_PINS; ++pin) {
        const auto& entry = ioapic.redirtbl[pin].fields;
        if (entry.mask && !(ioapic.irr & (1u << pin)))
            continue;
        text += fmt::format(" pin {} vector {:#x} {}{}{}{} dest {:#x};", pin, entry.vector,
            entry.trig_mode ? "level" : "edge", entry.remote_irr ? " remote-irr" : "",
            entry.delivery_status ? " pending" : "", entry.mask ? " masked" : "", entry.dest_id);
    }
    return text;
}

std::string describe_pic(const char* name, const kvm_pic_state& pic)
{
    return fmt::format("PIC {}: irr {:#x} isr {:#x} imr {:#x} base {:#x} last irr {:#x}", name, pic.irr, pic.isr,
        pic.imr, pic.irq_base, pic.last_irr);
}

std::string describe_pit(const kvm_pit_state2& pit)
{
    const auto& channel = pit.channels[0];
    return fmt::format("PIT channel 0: mode {} count {} gate {} flags {:#x}", channel.mode, channel.count, channel.gate,
        pit.flags);
}

} // namespace vireo
