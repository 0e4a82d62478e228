// -device DRIVER,...: one table entry per driver name.
#include <algorithm>
#include <string_view>

#include "devices/virtio/input/virtio_input.h"
#include "devices/virtio/rng/virtio_rng.h"
#include "machine/assembly/builders.h"
#include "machine/assembly/virtio_devices.h"

namespace vireo {

namespace {

// What the -device list has accumulated for devices that come in pairs.
struct DeviceListState {
    uint32_t nic_index = 0;
    const DeviceConfig* serial_bus = nullptr;
    const DeviceConfig* console_port = nullptr;
};

using DeviceKindBuilder = Result<void> (*)(MachineParts&, const DeviceConfig&, DeviceListState&);

Result<void> build_virtio_blk(MachineParts& parts, const DeviceConfig& device, DeviceListState&)
{
    auto drive_id = device_property(device, "drive");
    const auto& drives = parts.config.drives;
    auto drive = std::ranges::find_if(drives, [&](const auto& d) { return d.id == drive_id; });
    if (drive_id.empty() || drive == drives.end())
        return make_error("-device {}: no -drive with id '{}'", device.driver, drive_id);
    if (drive->interface != DriveInterface::None)
        return make_error("-device {}: drive '{}' is already attached (use if=none)", device.driver, drive_id);
    return add_virtio_blk(parts, *drive, &device);
}

Result<void> build_virtio_net(MachineParts& parts, const DeviceConfig& device, DeviceListState& state)
{
    auto netdev_id = device_property(device, "netdev");
    if (netdev_id.empty())
        return make_error("-device {}: needs netdev=ID", device.driver);
    const auto& netdevs = parts.config.netdevs;
    auto netdev = std::ranges::find_if(netdevs, [&](const auto& n) { return n.id == netdev_id; });
    if (netdev == netdevs.end())
        return make_error("-device {}: no -netdev with id {}", device.driver, netdev_id);
    return add_virtio_net(parts, *netdev, &device, state.nic_index++);
}

Result<void> build_virtio_rng(MachineParts& parts, const DeviceConfig& device, DeviceListState&)
{
    TRY(add_virtio(parts, std::make_shared<VirtioRng>(), device.id));
    return {};
}

// A virtio keyboard, mouse or tablet; VNC's input goes to it (InputRouter) rather than the
// i8042's. serial= is what the device reports as ID_SERIAL.
Result<void> add_virtio_input(MachineParts& parts, const DeviceConfig& device, InputProfile profile)
{
    profile.serial = device_property(device, "serial");
    auto input = std::make_shared<VirtioInput>(std::move(profile));
    TRY(add_virtio(parts, input, device.id));
    parts.input.add_virtio(*input);
    return {};
}

Result<void> build_virtio_keyboard(MachineParts& parts, const DeviceConfig& device, DeviceListState&)
{
    return add_virtio_input(parts, device, keyboard_profile());
}

Result<void> build_virtio_mouse(MachineParts& parts, const DeviceConfig& device, DeviceListState&)
{
    return add_virtio_input(parts, device, mouse_profile());
}

Result<void> build_virtio_tablet(MachineParts& parts, const DeviceConfig& device, DeviceListState&)
{
    return add_virtio_input(parts, device, tablet_profile());
}

Result<void> note_virtio_serial(MachineParts&, const DeviceConfig& device, DeviceListState& state)
{
    if (state.serial_bus)
        return make_error("-device {}: only one virtio-serial device is supported", device.driver);
    state.serial_bus = &device;
    return {};
}

Result<void> note_virtconsole(MachineParts&, const DeviceConfig& device, DeviceListState& state)
{
    if (state.console_port)
        return make_error("-device virtconsole: only one console port is supported (no multiport)");
    state.console_port = &device;
    return {};
}

Result<void> build_vga(MachineParts& parts, const DeviceConfig& device, DeviceListState&)
{
    return add_std_vga(parts, &device, std::nullopt);
}

struct DeviceKind {
    std::string_view driver;
    DeviceKindBuilder build;
};

constexpr DeviceKind k_device_kinds[] = {
    { "virtio-blk-pci", build_virtio_blk },
    { "virtio-blk", build_virtio_blk },
    { "virtio-net-pci", build_virtio_net },
    { "virtio-net", build_virtio_net },
    { "virtio-rng-pci", build_virtio_rng },
    { "virtio-rng", build_virtio_rng },
    { "virtio-keyboard-pci", build_virtio_keyboard },
    { "virtio-keyboard", build_virtio_keyboard },
    { "virtio-mouse-pci", build_virtio_mouse },
    { "virtio-mouse", build_virtio_mouse },
    { "virtio-tablet-pci", build_virtio_tablet },
    { "virtio-tablet", build_virtio_tablet },
    { "virtio-serial-pci", note_virtio_serial },
    { "virtio-serial", note_virtio_serial },
    { "virtconsole", note_virtconsole },
    { "VGA", build_vga },
};

} // namespace

Result<void> build_devices(MachineParts& parts)
{
    DeviceListState state;
    for (const auto& device : parts.config.devices) {
        auto kind = std::ranges::find(k_device_kinds, device.driver, &DeviceKind::driver);
        if (kind == std::end(k_device_kinds))
            return make_error("-device {}: unsupported device", device.driver);
        TRY(kind->build(parts, device, state));
    }
    if (state.console_port && !state.serial_bus)
        return make_error("-device virtconsole: needs a -device virtio-serial-pci");
    if (state.serial_bus)
        TRY(add_virtio_console(parts, state.console_port));
    return {};
}

} // namespace vireo
