#include "devices/chipset/piix4_pm.h"

#include "devices/pci/pci_config.h"

namespace vireo {

Piix4Pm::Piix4Pm(uint16_t pm_base, uint8_t sci_irq)
    : PciDevice(PciIds { .vendor = 0x8086, .device = 0x7113, .class_code = 0x06'80'00, .revision = 3 })
{
    // PMBA: bit 0 reads 1 (I/O space), bits 15:6 the 64-byte aligned base. The registers stay
    // decoded at pm_base whatever is written: the ACPI tables describe that address.
    init_config(k_pm_base_register, uint32_t { pm_base } | 1, 4);
    mark_writable(k_pm_base_register, 0xc0);
    mark_writable(k_pm_base_register + 1, 0xff);
    init_config(k_pm_misc_register, 1, 1); // PMIOSE: PM I/O space enabled
    mark_writable(k_pm_misc_register, 0x01);
    init_config(k_smbus_base_register, 1, 4);
    mark_writable(k_smbus_base_register, 0xf0);
    mark_writable(k_smbus_base_register + 1, 0xff);
    mark_writable(0xd2, 0x0f); // SMBus host configuration
    // No SMM: SeaBIOS skips its SMM set-up when bit 1 of this byte is set.
    init_config(0x5b, 0x02, 1);
    init_config(pci::k_interrupt_line, sci_irq, 1);
    init_config(pci::k_interrupt_pin, 1, 1);
}

} // namespace vireo
