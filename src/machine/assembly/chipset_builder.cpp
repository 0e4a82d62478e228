// The chipset of QEMU's `pc`, at the same PCI addresses: i440FX host bridge (00:00.0) with
// the PAM, PIIX3 ISA bridge (00:01.0), PIIX4 power management (00:01.3) and its ACPI
// registers; the PCI configuration ports and the reset control register.
#include "base/log.h"
#include "devices/chipset/i440fx.h"
#include "devices/chipset/pam.h"
#include "devices/chipset/piix3_isa.h"
#include "devices/chipset/piix4_pm.h"
#include "devices/firmware/firmware_image.h"
#include "devices/legacy/acpi_pm.h"
#include "devices/legacy/pm_timer.h"
#include "devices/legacy/reset_control.h"
#include "devices/pci/pci_root.h"
#include "machine/assembly/builders.h"
#include "machine/pc_layout.h"

namespace vireo {

namespace {

Result<std::shared_ptr<Pam>> build_pam(MachineParts& parts)
{
    auto ram = TRY(parts.memory.slice(Pam::k_area_start, Pam::k_area_size));
    std::span<uint8_t> rom = parts.firmware ? parts.firmware->legacy_tail() : std::span<uint8_t>();
    auto pam = std::make_shared<Pam>(parts.vm, ram, rom);
    // Firmware starts from the power-on map (ROM at 0xF0000) and shadows itself; a kernel
    // booted directly finds DRAM everywhere, as firmware would have left it.
    auto registers = parts.firmware ? Pam::reset_registers() : Pam::open_registers();
    TRY(pam->set_registers(registers));
    TRY(parts.mmio.insert(pam->window(), Pam::k_area_start, Pam::k_area_size, "pam"));
    parts.keep(pam);
    return pam;
}

Result<void> build_pci_root(MachineParts& parts, std::shared_ptr<Pam> pam)
{
    auto& control = parts.control;
    auto reset_control = std::make_shared<ResetControl>(
        [&control] { control.request_stop(StopReason::Reset, "reset control register 0xcf9"); });
    parts.keep(reset_control);

    PciWindows windows;
    windows.mmio32_start = pc::k_pci_mmio_start;
    windows.mmio32_end = pc::k_pci_mmio_end;
    windows.io_start = pc::k_pci_io_start;
    windows.io_end = uint64_t(pc::k_pci_io_end) + 1;
    // INTx (the fallback when a driver does not use MSI-X): slot s pin A on GSI 16 + s % 4, as
    // the DSDT's _PRT says.
    auto& vm = parts.vm;
    auto intx = [&vm](uint8_t slot) {
        uint32_t gsi = pc::k_pci_intx_gsis[slot % pc::k_pci_intx_gsis.size()];
        return IntxRoute { std::shared_ptr<InterruptLine>(vm.interrupt_line(gsi)), static_cast<uint8_t>(gsi) };
    };
    auto root = std::make_shared<PciRoot>(parts.mmio, parts.pio, windows,
        [reset_control](uint8_t value) { reset_control->write_value(value); }, intx);
    auto registers = parts.firmware ? Pam::reset_registers() : Pam::open_registers();
    root->set_host_bridge(std::make_shared<I440fxHostBridge>(registers,
        [pam](std::span<const uint8_t, Pam::k_register_count> values) {
            if (auto mapped = pam->set_registers(values); !mapped)
                log_warn("PAM: {}", mapped.error().describe());
        }));
    TRY(root->attach_ports());
    parts.keep(root);
    parts.pci_root = root.get();
    return {};
}

Result<void> build_power_management(MachineParts& parts)
{
    auto& control = parts.control;
    auto pm = std::make_shared<AcpiPm>(parts.irq_line(pc::k_sci_irq),
        [&control] { control.request_stop(StopReason::PowerOff); });
    TRY(parts.pio.insert(pm->event_block(), pc::k_pm1a_event_port, AcpiPm::k_event_length, "pm1a-event"));
    TRY(parts.pio.insert(pm->control_block(), pc::k_pm1a_control_port, AcpiPm::k_control_length, "pm1a-control"));
    parts.keep(pm);
    parts.acpi_pm = pm.get();

    auto timer = std::make_shared<PmTimer>();
    TRY(parts.pio.insert(timer, pc::k_pm_timer_port, PmTimer::k_register_length, "pm-timer"));
    parts.keep(timer);

    TRY(parts.pci_root->add_device(std::make_shared<Piix4Pm>(pc::k_pm1a_event_port, pc::k_sci_irq),
        pc::k_piix_slot, pc::k_piix_pm_function));
    return {};
}

} // namespace

Result<void> build_chipset(MachineParts& parts)
{
    auto pam = TRY(build_pam(parts));
    TRY(build_pci_root(parts, pam));
    TRY(parts.pci_root->add_device(std::make_shared<Piix3Isa>(), pc::k_piix_slot, pc::k_piix_isa_function));
    TRY(build_power_management(parts));
    return {};
}

} // namespace vireo
