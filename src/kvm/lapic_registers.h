#pragma once
// The local APIC register page as KVM_GET_LAPIC/KVM_SET_LAPIC carry it: 32-bit registers at
// the xAPIC offsets (Intel SDM vol. 3 §11.4.1, table 11-1).
#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace vireo::lapic {

constexpr size_t k_tpr = 0x80;
constexpr size_t k_svr = 0xf0;
constexpr size_t k_isr = 0x100; // 8 registers, 0x10 apart
constexpr size_t k_irr = 0x200; // likewise
constexpr size_t k_lvt_timer = 0x320;
constexpr size_t k_lvt_lint0 = 0x350;
constexpr size_t k_lvt_lint1 = 0x360;
constexpr size_t k_timer_initial_count = 0x380;
constexpr size_t k_timer_current_count = 0x390;

inline uint32_t read_register(const kvm_lapic_state& lapic, size_t offset)
{
    uint32_t value = 0;
    std::memcpy(&value, lapic.regs + offset, sizeof(value));
    return value;
}

inline void write_register(kvm_lapic_state& lapic, size_t offset, uint32_t value)
{
    std::memcpy(lapic.regs + offset, &value, sizeof(value));
}

} // namespace vireo::lapic
