// MADT (ACPI 6.4 §5.2.12): the local APICs, the I/O APIC and the ISA interrupt overrides.
#include "machine/acpi/sdt.h"

namespace vireo::acpi {

namespace {

constexpr uint32_t k_pcat_compat = 1u << 0; // dual 8259s present

constexpr uint8_t k_type_local_apic = 0;
constexpr uint8_t k_type_io_apic = 1;
constexpr uint8_t k_type_interrupt_override = 2;
constexpr uint8_t k_type_local_apic_nmi = 4;
constexpr uint8_t k_type_local_x2apic = 9;
constexpr uint8_t k_type_local_x2apic_nmi = 0xa;

constexpr uint32_t k_lapic_enabled = 1u << 0;

// MPS INTI flags (§5.2.12.5): polarity bits 1:0, trigger mode bits 3:2.
constexpr uint16_t k_active_high = 0x1;
constexpr uint16_t k_edge = 0x1 << 2;
constexpr uint16_t k_level = 0x3 << 2;

void interrupt_override(TableWriter& madt, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    madt.u8(k_type_interrupt_override);
    madt.u8(10);
    madt.u8(0); // bus: ISA
    madt.u8(irq);
    madt.u32(gsi);
    madt.u16(flags);
}

} // namespace

std::vector<uint8_t> build_madt(const AcpiConfig& config)
{
    TableWriter madt("APIC", 5);
    madt.u32(static_cast<uint32_t>(pc::k_lapic_address));
    madt.u32(k_pcat_compat);

    bool any_x2apic = false;
    for (uint32_t index = 0; index < config.cpu_count; ++index) {
        const uint32_t apic_id = apic_id_of(config.topology, index);
        // The 8-bit structure cannot hold IDs from 255 on (§5.2.12.12).
        if (apic_id < 255 && index < 255) {
            madt.u8(k_type_local_apic);
            madt.u8(8);
            madt.u8(static_cast<uint8_t>(index)); // ACPI processor UID
            madt.u8(static_cast<uint8_t>(apic_id));
            madt.u32(k_lapic_enabled);
        } else {
            any_x2apic = true;
            madt.u8(k_type_local_x2apic);
            madt.u8(16);
            madt.u16(0);
            madt.u32(apic_id);
            madt.u32(k_lapic_enabled);
            madt.u32(index);
        }
    }

    madt.u8(k_type_io_apic);
    madt.u8(12);
    madt.u8(0); // I/O APIC ID
    madt.u8(0);
    madt.u32(static_cast<uint32_t>(pc::k_ioapic_address));
    madt.u32(0); // GSI base

    // The PIT's IRQ 0 is wired to I/O APIC pin 2; the SCI is level-triggered, active high.
    interrupt_override(madt, 0, 2, k_active_high | k_edge);
    interrupt_override(madt, pc::k_sci_irq, pc::k_sci_irq, k_active_high | k_level);

    // LINT1 of every local APIC is the NMI input.
    madt.u8(k_type_local_apic_nmi);
    madt.u8(6);
    madt.u8(0xff); // all processors
    madt.u16(0);   // flags: conforming
    madt.u8(1);    // LINT1
    if (any_x2apic) {
        madt.u8(k_type_local_x2apic_nmi);
        madt.u8(12);
        madt.u16(0);
        madt.u32(0xffff'ffff);
        madt.u8(1);
        madt.zeros(3);
    }
    return madt.finish();
}

} // namespace vireo::acpi
