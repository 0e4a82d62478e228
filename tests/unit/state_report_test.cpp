// machine/state_report: the lines `kill -USR2` prints must name the right vectors and pins, or
// they mislead whoever reads them about a stalled guest.
#include <gtest/gtest.h>

#include <cstring>

#include "machine/state_report.h"

namespace vireo {
namespace {

void set_lapic_register(kvm_lapic_state& lapic, uint32_t offset, uint32_t value)
{
    std::memcpy(lapic.regs + offset, &value, sizeof(value));
}

TEST(StateReport, VcpuLineNamesHighestPendingAndInServiceVectors)
{
    kvm_regs regs {};
    regs.rip = 0xffffffff81001234;
    regs.rflags = 0x202; // IF set
    kvm_mp_state mp { KVM_MP_STATE_HALTED };
    kvm_lapic_state lapic {};
    set_lapic_register(lapic, 0x100 + 2 * 0x10, 1u << 3);  // ISR: vector 67
    set_lapic_register(lapic, 0x200 + 7 * 0x10, 1u << 20); // IRR: vector 244
    set_lapic_register(lapic, 0x200 + 1 * 0x10, 1u << 1);  // IRR: vector 33, lower
    set_lapic_register(lapic, 0x320, 0x100ec);
    auto line = describe_vcpu_state(1, regs, mp, lapic);
    EXPECT_NE(line.find("vCPU 1: halted rip 0xffffffff81001234 IF 1"), std::string::npos) << line;
    EXPECT_NE(line.find("ISR top 67 IRR top 244"), std::string::npos) << line;
    EXPECT_NE(line.find("LVT timer 0x100ec"), std::string::npos) << line;

    kvm_lapic_state empty {};
    regs.rflags = 0x2;
    line = describe_vcpu_state(0, regs, { KVM_MP_STATE_RUNNABLE }, empty);
    EXPECT_NE(line.find("runnable"), std::string::npos) << line;
    EXPECT_NE(line.find("IF 0"), std::string::npos) << line;
    EXPECT_NE(line.find("ISR top -1 IRR top -1"), std::string::npos) << line;
}

TEST(StateReport, IoapicLineListsOnlyUnmaskedOrPendingPins)
{
    kvm_ioapic_state ioapic {};
    for (auto& entry : ioapic.redirtbl)
        entry.fields.mask = 1;
    ioapic.redirtbl[4].fields.mask = 0;
    ioapic.redirtbl[4].fields.vector = 0x24;
    ioapic.redirtbl[11].fields.trig_mode = 1;
    ioapic.redirtbl[11].fields.remote_irr = 1;
    ioapic.irr = 1u << 11;
    auto line = describe_ioapic(ioapic);
    EXPECT_NE(line.find("pin 4 vector 0x24 edge dest 0x0;"), std::string::npos) << line;
    EXPECT_NE(line.find("pin 11 vector 0x0 level remote-irr masked"), std::string::npos) << line;
    EXPECT_EQ(line.find("pin 0 "), std::string::npos) << line;
}

} // namespace
} // namespace vireo
