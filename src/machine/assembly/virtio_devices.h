#pragma once
// Adding virtio devices to the machine's PCI bus: shared by the builders of -drive if=virtio,
// -device and the default NIC.
#include <optional>
#include <string>

#include "machine/assembly/machine_parts.h"

namespace vireo {

class VirtioDevice;

// The device's `key` property, or an empty string.
[[nodiscard]] std::string device_property(const DeviceConfig& device, const char* key);
// A -device's bootindex=, if any (an error if it is not a number).
[[nodiscard]] Result<int> device_bootindex(const DeviceConfig& device);

// Puts a virtio device on the PCI bus behind the virtio-pci transport; returns its slot.
// id: the -device id= (empty: none), for the monitor.
[[nodiscard]] Result<uint8_t> add_virtio(MachineParts& parts, std::shared_ptr<VirtioDevice> device,
    const std::string& id = {});
// A virtio-blk disk for `drive`, with -device properties when it came from -device.
[[nodiscard]] Result<void> add_virtio_blk(MachineParts& parts, const DriveConfig& drive, const DeviceConfig* device);
// A virtio-net NIC on the back end named by `netdev`.
[[nodiscard]] Result<void> add_virtio_net(MachineParts& parts, const NetdevConfig& netdev, const DeviceConfig* device,
    uint32_t index);
// A virtio-serial device with one console port on the -chardev named by `port` (null: none).
[[nodiscard]] Result<void> add_virtio_console(MachineParts& parts, const DeviceConfig* port);

} // namespace vireo
