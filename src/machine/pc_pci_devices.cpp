// PcMachine: the PCI host bridge and the PCI devices from -device/-drive/-netdev.
#include "devices/legacy/reset_control.h"
#include "devices/pci/pci_root.h"
#include "machine/pc_layout.h"
#include "machine/pc_machine.h"

namespace vireo {

Result<void> PcMachine::create_pci_devices()
{
    auto reset_control = std::make_shared<ResetControl>([this] { request_stop(StopReason::Reset); });
    keep(reset_control);

    PciWindows windows;
    windows.mmio32_start = pc::k_pci_mmio_start;
    windows.mmio32_end = pc::k_pci_mmio_end;
    windows.io_start = pc::k_pci_io_start;
    windows.io_end = uint64_t(pc::k_pci_io_end) + 1;
    auto root = std::make_shared<PciRoot>(m_mmio, m_pio, windows,
        [reset_control](uint8_t value) { reset_control->write_value(value); });
    TRY(root->attach_ports());
    keep(root);
    m_pci_root = root.get();
    return {};
}

} // namespace vireo
