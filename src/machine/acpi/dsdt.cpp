// DSDT (ACPI 6.4 §5.2.11.1): \_S5, the PCI root bridge and the legacy ISA devices.
#include "machine/acpi/aml.h"
#include "machine/acpi/sdt.h"

namespace vireo::acpi {

namespace {

aml::Bytes pci_root_bridge(const AcpiConfig& config)
{
    aml::ResourceTemplate resources;
    resources.word_bus_number(0, 0xff);
    resources.io(pc::k_pci_config_address_port, pc::k_pci_config_address_port, 1, 8);
    resources.word_io(0x0000, 0x0cf7);
    resources.word_io(0x0d00, 0xffff);
    resources.dword_memory(0x000a'0000, 0x000b'ffff, false); // legacy VGA window
    resources.dword_memory(static_cast<uint32_t>(pc::k_pci_mmio_start), static_cast<uint32_t>(pc::k_pci_mmio_end - 1),
        false);
    if (config.pci_mmio64) {
        const uint64_t start = pc::pci_mmio64_start(config.ram_top);
        resources.qword_memory(start, start + pc::k_pci_mmio64_size - 1, false);
    }

    std::vector<aml::Bytes> body {
        aml::name("_HID", aml::eisa_id("PNP0A03")),
        aml::name("_UID", aml::integer(0)),
        aml::name("_SEG", aml::integer(0)),
        aml::name("_BBN", aml::integer(0)),
        aml::name("_CRS", resources.buffer()),
    };

    // _PRT (§6.2.13): {address (slot << 16 | 0xFFFF), pin, source (0 = GSI), GSI} per slot and pin.
    if (config.pci_intx_gsis.size() == 4) {
        std::vector<aml::Bytes> routes;
        for (uint32_t slot = 0; slot < 32; ++slot) {
            for (uint32_t pin = 0; pin < 4; ++pin) {
                routes.push_back(aml::package({ aml::integer((uint64_t(slot) << 16) | 0xffff), aml::integer(pin),
                    aml::integer(0), aml::integer(config.pci_intx_gsis[(slot + pin) % 4]) }));
            }
        }
        // 128 routes fit in a Package's one-byte element count.
        body.push_back(aml::name("_PRT", aml::package(routes)));
    }
    return aml::device("PCI0", aml::terms(body));
}

aml::Bytes isa_device(std::string_view name, std::string_view hid, uint64_t uid, const aml::ResourceTemplate& crs)
{
    return aml::device(name,
        aml::terms({
            aml::name("_HID", aml::eisa_id(hid)),
            aml::name("_UID", aml::integer(uid)),
            aml::method("_STA", 0, aml::return_value(aml::integer(0xf))), // present, enabled, shown, working
            aml::name("_CRS", crs.buffer()),
        }));
}

} // namespace

std::vector<uint8_t> build_dsdt(const AcpiConfig& config)
{
    std::vector<aml::Bytes> devices { pci_root_bridge(config) };
    if (config.com1) {
        aml::ResourceTemplate crs;
        crs.io(pc::k_com1_port, pc::k_com1_port, 1, 8);
        crs.irq(pc::k_com1_irq);
        devices.push_back(isa_device("COM1", "PNP0501", 1, crs));
    }
    if (config.rtc) {
        aml::ResourceTemplate crs;
        crs.io(0x70, 0x70, 1, 2);
        crs.irq(8);
        devices.push_back(isa_device("RTC", "PNP0B00", 0, crs));
    }
    if (config.ps2_keyboard) {
        aml::ResourceTemplate crs;
        crs.io(0x60, 0x60, 1, 1);
        crs.io(0x64, 0x64, 1, 1);
        crs.irq(1);
        devices.push_back(isa_device("KBD", "PNP0303", 0, crs));
    }
    if (config.ps2_mouse) {
        aml::ResourceTemplate crs;
        crs.irq(12);
        devices.push_back(isa_device("MOU", "PNP0F13", 0, crs));
    }

    const uint8_t s5 = pc::k_s5_sleep_type;
    // \_S5: {PM1a SLP_TYP, PM1b SLP_TYP, reserved, reserved} (§7.4.2).
    const aml::Bytes definitions = aml::terms({
        aml::name("\\_S5", aml::package({ aml::integer(s5), aml::integer(s5), aml::integer(0), aml::integer(0) })),
        aml::scope("\\_SB", aml::terms(devices)),
    });

    TableWriter dsdt("DSDT", 2); // revision 2: 64-bit integers
    dsdt.bytes(definitions);
    return dsdt.finish();
}

} // namespace vireo::acpi
