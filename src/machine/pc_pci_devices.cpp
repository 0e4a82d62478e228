// PcMachine: the PCI host bridge and the PCI devices from -drive, -device, -netdev/-nic/-net.
#include <algorithm>

#include "block/open_image.h"
#include "char/chardev.h"
#include "devices/legacy/reset_control.h"
#include "devices/pci/pci_root.h"
#include "devices/virtio/blk/virtio_blk.h"
#include "devices/virtio/console/virtio_console.h"
#include "devices/virtio/net/virtio_net.h"
#include "devices/virtio/rng/virtio_rng.h"
#include "devices/virtio/virtio_pci.h"
#include "machine/pc_layout.h"
#include "machine/pc_machine.h"
#include "net/netdev.h"

namespace vireo {

namespace {

std::string property(const DeviceConfig& device, const char* key)
{
    auto it = device.properties.find(key);
    return it == device.properties.end() ? std::string() : it->second;
}

} // namespace

Result<void> PcMachine::add_virtio(std::shared_ptr<VirtioDevice> device)
{
    auto pci = TRY(VirtioPciDevice::create(std::move(device), m_memory, *m_vm, m_vm.get(), m_loop));
    TRY(m_pci_root->add_device(pci));
    return {};
}

Result<void> PcMachine::add_virtio_blk(const DriveConfig& drive, const DeviceConfig* device)
{
    auto options = TRY(virtio_blk_options(drive, device, m_config.smp.cpus));
    auto disk = TRY(open_disk_image(drive));
    auto blk = std::make_shared<VirtioBlk>(std::move(disk), options);
    TRY(blk->attach(*m_loop));
    return add_virtio(blk);
}

Result<void> PcMachine::add_virtio_net(const DeviceConfig& device, uint32_t index)
{
    auto netdev_id = property(device, "netdev");
    if (netdev_id.empty())
        return make_error("-device virtio-net-pci: needs netdev=ID");
    auto netdev = std::ranges::find_if(m_config.netdevs, [&](const auto& n) { return n.id == netdev_id; });
    if (netdev == m_config.netdevs.end())
        return make_error("-device virtio-net-pci: no -netdev with id {}", netdev_id);
    auto backends = TRY(create_net_backends(*m_loop, *netdev));
    auto options = TRY(virtio_net_options(&device, index));
    std::shared_ptr<VirtioNet> net = TRY(VirtioNet::create(std::move(backends), options));
    TRY(net->attach(*m_loop));
    return add_virtio(net);
}

Result<void> PcMachine::add_virtio_console(const DeviceConfig* port)
{
    std::shared_ptr<Chardev> chardev;
    if (port) {
        auto id = property(*port, "chardev");
        auto config = std::ranges::find_if(m_config.chardevs, [&](const auto& c) { return c.id == id; });
        if (config == m_config.chardevs.end())
            return make_error("-device {}: no -chardev with id '{}'", port->driver, id);
        chardev = TRY(create_chardev(*m_loop, *config));
    } else {
        ChardevConfig null_config;
        null_config.backend = "null";
        chardev = TRY(create_chardev(*m_loop, null_config));
    }
    keep(chardev);
    auto console = std::make_shared<VirtioConsole>(chardev);
    chardev->set_input_sink([weak = std::weak_ptr(console)](std::span<const uint8_t> bytes) {
        if (auto target = weak.lock())
            target->push_input(bytes);
    });
    return add_virtio(console);
}

Result<void> PcMachine::create_pci_devices()
{
    auto reset_control = std::make_shared<ResetControl>([this] { request_stop(StopReason::Reset, "reset control register 0xcf9"); });
    keep(reset_control);

    PciWindows windows;
    windows.mmio32_start = pc::k_pci_mmio_start;
    windows.mmio32_end = pc::k_pci_mmio_end;
    windows.io_start = pc::k_pci_io_start;
    windows.io_end = uint64_t(pc::k_pci_io_end) + 1;
    // INTx (the fallback when a driver does not use MSI-X): slot s pin A on GSI 16 + s % 4, as
    // the DSDT's _PRT says.
    auto intx = [this](uint8_t slot) {
        uint32_t gsi = pc::k_pci_intx_gsis[slot % pc::k_pci_intx_gsis.size()];
        return IntxRoute { std::shared_ptr<InterruptLine>(m_vm->interrupt_line(gsi)), static_cast<uint8_t>(gsi) };
    };
    auto root = std::make_shared<PciRoot>(m_mmio, m_pio, windows,
        [reset_control](uint8_t value) { reset_control->write_value(value); }, intx);
    TRY(root->attach_ports());
    keep(root);
    m_pci_root = root.get();

    // -drive if=virtio, and -hda..-hdd: Vireo has no IDE controller, so those become virtio
    // disks too (the guest sees /dev/vdX).
    for (const auto& drive : m_config.drives)
        if (drive.interface != DriveInterface::None)
            TRY(add_virtio_blk(drive, nullptr));

    uint32_t nic_index = 0;
    const DeviceConfig* serial_bus = nullptr;
    const DeviceConfig* console_port = nullptr;
    for (const auto& device : m_config.devices) {
        if (device.driver == "virtio-blk-pci" || device.driver == "virtio-blk") {
            auto drive_id = property(device, "drive");
            auto drive = std::ranges::find_if(m_config.drives, [&](const auto& d) { return d.id == drive_id; });
            if (drive_id.empty() || drive == m_config.drives.end())
                return make_error("-device {}: no -drive with id '{}'", device.driver, drive_id);
            if (drive->interface != DriveInterface::None)
                return make_error("-device {}: drive '{}' is already attached (use if=none)", device.driver, drive_id);
            TRY(add_virtio_blk(*drive, &device));
        } else if (device.driver == "virtio-net-pci" || device.driver == "virtio-net") {
            TRY(add_virtio_net(device, nic_index++));
        } else if (device.driver == "virtio-rng-pci" || device.driver == "virtio-rng") {
            TRY(add_virtio(std::make_shared<VirtioRng>()));
        } else if (device.driver == "virtio-serial-pci" || device.driver == "virtio-serial") {
            if (serial_bus)
                return make_error("-device {}: only one virtio-serial device is supported", device.driver);
            serial_bus = &device;
        } else if (device.driver == "virtconsole") {
            if (console_port)
                return make_error("-device virtconsole: only one console port is supported (no multiport)");
            console_port = &device;
        } else {
            return make_error("-device {}: unsupported device", device.driver);
        }
    }
    if (console_port && !serial_bus)
        return make_error("-device virtconsole: needs a -device virtio-serial-pci");
    if (serial_bus)
        TRY(add_virtio_console(console_port));

    // QEMU's default network: user-mode networking on one NIC, when no network option was given.
    if (m_config.default_network && m_config.netdevs.empty()) {
        m_default_netdev.type = "user";
        m_default_netdev.id = "default-user-net";
        auto backends = TRY(create_net_backends(*m_loop, m_default_netdev));
        auto options = TRY(virtio_net_options(nullptr, nic_index++));
        std::shared_ptr<VirtioNet> net = TRY(VirtioNet::create(std::move(backends), options));
        TRY(net->attach(*m_loop));
        TRY(add_virtio(net));
    }
    return {};
}

} // namespace vireo
