// -drive if=virtio disks and QEMU's default NIC.
#include "machine/assembly/builders.h"
#include "machine/assembly/virtio_devices.h"
#include "net/netdev.h"

namespace vireo {

Result<void> build_virtio_drives(MachineParts& parts)
{
    for (const auto& drive : parts.config.drives) {
        if (drive.interface == DriveInterface::Virtio)
            TRY(add_virtio_blk(parts, drive, nullptr));
    }
    return {};
}

Result<void> build_default_nic(MachineParts& parts)
{
    // QEMU's default network: user-mode networking on one NIC, when no network option was given.
    if (!wants_default_network(parts.config))
        return {};
    auto& netdev = parts.keep(std::make_shared<NetdevConfig>());
    netdev.type = "user";
    netdev.id = "default-user-net";
    uint32_t index = 0;
    for (const auto& device : parts.config.devices)
        index += device.driver == "virtio-net-pci" || device.driver == "virtio-net";
    return add_virtio_net(parts, netdev, nullptr, index);
}

} // namespace vireo
