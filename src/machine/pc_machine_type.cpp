// The `pc` machine type: which device builders run, in order (machine/assembly/builders.h).
#include "machine/assembly/builders.h"
#include "machine/pc_machine.h"

namespace vireo {

namespace {

constexpr PartBuilder k_pc_builders[] = {
    build_firmware_rom,   // before the chipset: the PAM shows the ROM's end
    build_chipset,        // i440FX, PIIX3, PIIX4 PM: slot 1 before any other PCI device
    build_display,        // -vga std: 00:02.0, as QEMU's pc
    build_legacy_devices,
    build_serial_ports,
    build_ide,            // 00:01.1, before the virtio devices so that IDE disks boot first
    build_virtio_drives,
    build_devices,
    build_default_nic,
    build_fw_cfg,         // last: it lists the boot devices the others created
};

} // namespace

Result<void> PcMachine::create_devices()
{
    for (auto builder : k_pc_builders)
        TRY(builder(*m_parts));
    return {};
}

} // namespace vireo
