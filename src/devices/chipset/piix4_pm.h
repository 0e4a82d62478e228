#pragma once
// The PIIX4 power-management function at 00:01.3 (8086:7113, class 0x0680), as on QEMU's
// `pc`: the PCI face of the ACPI registers. Firmware finds the PM I/O base in PMBA (0x40,
// enabled by PMREGMISC bit 0 at 0x80) and the SMBus base at 0x90; config byte 0x5B bit 1 tells
// SeaBIOS that there is no SMM to hand over from. The registers themselves (PM1 event and
// control, PM timer) are devices/legacy/acpi_pm and pm_timer, decoded at the fixed pc layout
// base (pc::k_pm1a_event_port), which is also the base this function reports.
#include <cstdint>

#include "devices/pci/pci_device.h"

namespace vireo {

class Piix4Pm final : public PciDevice {
public:
    static constexpr uint16_t k_pm_base_register = 0x40;
    static constexpr uint16_t k_pm_misc_register = 0x80;
    static constexpr uint16_t k_smbus_base_register = 0x90;

    // pm_base: the I/O base of the PM registers; sci_irq: the ISA IRQ of the SCI.
    Piix4Pm(uint16_t pm_base, uint8_t sci_irq);

    [[nodiscard]] bool uses_pci_intx() const override { return false; }

protected:
    void bar_read(int, uint64_t, std::span<uint8_t> data) override { std::ranges::fill(data, 0xff); }
    void bar_write(int, uint64_t, std::span<const uint8_t>) override { }
};

} // namespace vireo
