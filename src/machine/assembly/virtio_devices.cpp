#include "machine/assembly/virtio_devices.h"

#include <algorithm>
#include <charconv>

#include "block/open_image.h"
#include "char/chardev.h"
#include "devices/pci/pci_root.h"
#include "machine/assembly/drive_media.h"
#include "devices/virtio/blk/virtio_blk.h"
#include "devices/virtio/console/virtio_console.h"
#include "devices/virtio/net/virtio_net.h"
#include "devices/virtio/virtio_pci.h"
#include "net/netdev.h"

namespace vireo {

std::string device_property(const DeviceConfig& device, const char* key)
{
    auto it = device.properties.find(key);
    return it == device.properties.end() ? std::string() : it->second;
}

Result<int> device_bootindex(const DeviceConfig& device)
{
    auto text = device_property(device, "bootindex");
    if (text.empty())
        return -1;
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 0)
        return make_error("-device {}: invalid bootindex '{}'", device.driver, text);
    return value;
}

Result<uint8_t> add_virtio(MachineParts& parts, std::shared_ptr<VirtioDevice> device, const std::string& id)
{
    auto pci = TRY(VirtioPciDevice::create(std::move(device), parts.memory, parts.vm, &parts.vm, &parts.loop));
    uint8_t slot = TRY(parts.pci_root->add_device(pci));
    if (!id.empty())
        parts.pci_ids[static_cast<uint16_t>(slot << 3)] = id;
    return slot;
}

namespace {

// QEMU's one-line summary of a NIC's back end, as `info network` prints it.
std::string netdev_summary(const NetdevConfig& netdev)
{
    auto option = [&](const char* key, const char* fallback) {
        auto it = netdev.options.find(key);
        return it == netdev.options.end() ? std::string(fallback) : it->second;
    };
    if (netdev.type == "user")
        return fmt::format("index=0,type=user,net={},restrict={}", option("net", "10.0.2.0"), option("restrict", "off"));
    if (netdev.fd >= 0)
        return fmt::format("index=0,type=tap,fd={}", netdev.fd);
    return fmt::format("index=0,type=tap,ifname={},script=no,downscript=no", netdev.ifname);
}

} // namespace

Result<void> add_virtio_blk(MachineParts& parts, const DriveConfig& drive, const DeviceConfig* device)
{
    auto options = TRY(virtio_blk_options(drive, device, parts.config.smp.cpus));
    auto opened = TRY(open_drive_image(drive));
    auto blk = std::make_shared<VirtioBlk>(std::move(opened.image), options);
    TRY(blk->attach(parts.loop));
    uint8_t slot = TRY(add_virtio(parts, blk, device ? device->id : std::string()));
    int bootindex = device ? TRY(device_bootindex(*device)) : drive.bootindex;
    parts.boot_devices.push_back(BootDevice { BootDevice::Kind::Disk,
        fmt::format("/pci@i0cf8/scsi@{:x}/disk@0,0", slot), bootindex });
    // QEMU's unit of an if=virtio drive: index= or the next free one; the block backend sits on
    // the virtio-blk device inside the PCI proxy ("virtio-backend").
    auto unit = static_cast<unsigned>(std::ranges::count(parts.block_drives, drive.interface,
        [](const BlockDrive& other) { return other.config.interface; }));
    if (drive.index >= 0)
        unit = static_cast<unsigned>(drive.index);
    auto qdev = device && !device->id.empty() ? fmt::format("/machine/peripheral/{}/virtio-backend", device->id)
                                              : anonymous_device_path(parts);
    add_block_drive(parts, drive_name(drive, 0, unit), std::move(qdev), drive, &opened.facts);
    return {};
}

Result<void> add_virtio_net(MachineParts& parts, const NetdevConfig& netdev, const DeviceConfig* device,
    uint32_t index)
{
    auto backends = TRY(create_net_backends(parts.loop, netdev));
    auto options = TRY(virtio_net_options(device, index));
    std::shared_ptr<VirtioNet> net = TRY(VirtioNet::create(std::move(backends), options));
    TRY(net->attach(parts.loop));
    uint8_t slot = TRY(add_virtio(parts, net, device ? device->id : std::string()));
    const auto& mac = options.mac;
    parts.nics.push_back(NicRecord { device && !device->id.empty() ? device->id : fmt::format("virtio-net-pci.{}", index),
        "virtio-net-pci",
        fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]),
        netdev.id, netdev_summary(netdev) });
    int bootindex = device ? TRY(device_bootindex(*device)) : -1;
    parts.boot_devices.push_back(BootDevice { BootDevice::Kind::Network,
        fmt::format("/pci@i0cf8/ethernet@{:x}/ethernet-phy@0", slot), bootindex });
    return {};
}

Result<void> add_virtio_console(MachineParts& parts, const DeviceConfig* port)
{
    std::shared_ptr<Chardev> chardev;
    if (port) {
        auto id = device_property(*port, "chardev");
        const auto& chardevs = parts.config.chardevs;
        auto config = std::ranges::find_if(chardevs, [&](const auto& c) { return c.id == id; });
        if (config == chardevs.end())
            return make_error("-device {}: no -chardev with id '{}'", port->driver, id);
        chardev = TRY(create_chardev(parts.loop, *config));
    } else {
        ChardevConfig null_config;
        null_config.backend = "null";
        chardev = TRY(create_chardev(parts.loop, null_config));
    }
    parts.keep(chardev);
    auto console = std::make_shared<VirtioConsole>(chardev);
    chardev->set_input_sink([weak = std::weak_ptr(console)](std::span<const uint8_t> bytes) {
        if (auto target = weak.lock())
            target->push_input(bytes);
    });
    TRY(add_virtio(parts, console));
    return {};
}

} // namespace vireo
