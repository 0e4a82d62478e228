#pragma once
// The fixed platform layout of Vireo's `pc` machine: where RAM, the PCI hole, the interrupt
// controllers, the ACPI tables and the legacy ports are. Devices and tables read it from here
// so that the ACPI tables always describe what the devices really decode.
#include <array>
#include <cstdint>

namespace vireo::pc {

// Memory (guest-physical).
constexpr uint64_t k_low_ram_max = 0xC000'0000;    // RAM below 4 GiB ends at 3 GiB at most
constexpr uint64_t k_high_ram_start = 0x1'0000'0000; // the rest of RAM starts at 4 GiB
constexpr uint64_t k_ebda_start = 0x9'FC00;        // e820: RAM ends here below 1 MiB
constexpr uint64_t k_bios_area_start = 0xE'0000;   // 0xE0000-0xFFFFF: ACPI tables (RSDP found here)
constexpr uint64_t k_bios_area_end = 0x10'0000;
constexpr uint64_t k_pci_mmio_start = 0xC000'0000; // 32-bit PCI BAR window
constexpr uint64_t k_pci_mmio_end = 0xFEC0'0000;   // exclusive
constexpr uint64_t k_pci_mmio64_size = 0x40'0000'0000; // 64-bit BARs: placed above RAM, this big
// Start of the 64-bit PCI window: the first 1 GiB boundary at or above the end of RAM, and
// never below 4 GiB. The window is k_pci_mmio64_size bytes long.
constexpr uint64_t pci_mmio64_start(uint64_t ram_top)
{
    const uint64_t aligned = (ram_top + 0x3FFF'FFFF) & ~uint64_t(0x3FFF'FFFF);
    return aligned < k_high_ram_start ? k_high_ram_start : aligned;
}
constexpr uint64_t k_ioapic_address = 0xFEC0'0000;
constexpr uint64_t k_lapic_address = 0xFEE0'0000;

// PCI INTx: slot s, pin A is wired to IOAPIC input k_pci_intx_gsis[s % 4] (the DSDT's _PRT).
constexpr std::array<uint32_t, 4> k_pci_intx_gsis { 16, 17, 18, 19 };

// Port I/O.
constexpr uint16_t k_com1_port = 0x3f8;
constexpr uint8_t k_com1_irq = 4;
constexpr uint16_t k_pci_config_address_port = 0xcf8; // 0xcf8-0xcff: PCI configuration mechanism #1
constexpr uint16_t k_pci_io_start = 0xc000;            // PCI I/O BAR window
constexpr uint16_t k_pci_io_end = 0xffff;
constexpr uint16_t k_reset_control_port = 0xcf9;        // write 0x06 (bit 2 set): hard reset
constexpr uint8_t k_reset_value = 0x06;

// ACPI fixed hardware (ACPI 6.4 §4.8): PM1a event block (status + enable, 2 bytes each) and
// PM1a control block. The DSDT's \_S5 gives SLP_TYP = k_s5_sleep_type.
constexpr uint16_t k_pm1a_event_port = 0x600;  // 4 bytes
constexpr uint16_t k_pm1a_control_port = 0x604; // 2 bytes
constexpr uint16_t k_pm_timer_port = 0x608;     // 4 bytes, when there is a PM timer (PIIX4: PM base + 8)
constexpr uint8_t k_sci_irq = 9;

// The PIIX3/PIIX4 functions of slot 1, as on QEMU's pc: ISA bridge, IDE, power management.
constexpr uint8_t k_piix_slot = 1;
constexpr uint8_t k_piix_isa_function = 0;
constexpr uint8_t k_piix_ide_function = 1;
constexpr uint8_t k_piix_pm_function = 3;
constexpr uint8_t k_s5_sleep_type = 5;

} // namespace vireo::pc
