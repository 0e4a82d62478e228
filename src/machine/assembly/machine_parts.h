#pragma once
// What the per-kind device builders (machine/assembly/*_builder.cpp) work with: the machine's
// configuration, memory, VM, buses and event loop, and a place to keep what they create. A
// machine type is a list of builders run in order (pc_machine_type.cpp); adding a device kind
// is a builder and a line in that list, not a new PcMachine method.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/event_loop.h"
#include "block/open_image.h"
#include "bus/bus.h"
#include "char/console_monitor.h"
#include "config/vm_config.h"
#include "devices/input/input_router.h"
#include "kvm/vm.h"
#include "machine/memory_map.h"
#include "machine/vm_control.h"
#include "memory/guest_memory.h"

namespace vireo {

class AcpiPm;
class DisplayRefresh;
class DisplaySource;
class FirmwareImage;
class PciRoot;
class PiixIde;

// A device the firmware may boot from, in the order the devices were created.
struct BootDevice {
    enum class Kind { Disk, Cdrom, Network };
    Kind kind = Kind::Disk;
    std::string firmware_path; // OpenFirmware device path, as SeaBIOS matches `bootorder` lines
    int bootindex = -1;        // -1: none given
};

// A drive as the monitor sees it (query-block, eject, blockdev-change-medium), recorded by the
// builder that attached it.
struct BlockDrive {
    std::string name;                // QEMU's block backend name: "ide0-hd0", "ide1-cd0", "virtio0", or -drive id=
    std::string qdev;                // the guest device's id, or the QOM path vireo gives it
    DriveConfig config;              // of the medium in it (file empty: none)
    std::optional<ImageFacts> facts; // of the medium in it
    int cdrom_position = -1;         // a CD-ROM's PiixIde position (media changes go there); -1: not removable
};

// A NIC as the monitor's `info network` shows it, recorded by the builder that made it.
struct NicRecord {
    std::string name;        // the -device id, or QEMU's "virtio-net-pci.<n>"
    std::string model;       // the device type
    std::string mac;         // "52:54:00:12:34:56"
    std::string netdev_id;
    std::string netdev_info; // QEMU's summary of the back end ("index=0,type=user,net=10.0.2.0,restrict=off")
};

class MachineParts {
public:
    MachineParts(const VmConfig& vm_config, const MemoryLayout& memory_layout, GuestMemory& guest_memory, Vm& kvm_vm,
        EventLoop& event_loop, Bus& pio_bus, Bus& mmio_bus, VmControl& vm_control)
        : config(vm_config)
        , layout(memory_layout)
        , memory(guest_memory)
        , vm(kvm_vm)
        , loop(event_loop)
        , pio(pio_bus)
        , mmio(mmio_bus)
        , control(vm_control)
    {
    }
    MachineParts(const MachineParts&) = delete;
    MachineParts& operator=(const MachineParts&) = delete;

    const VmConfig& config;
    const MemoryLayout& layout;
    GuestMemory& memory;
    Vm& vm;
    EventLoop& loop;
    Bus& pio;
    Bus& mmio;
    VmControl& control;

    // Set by the builders that create them, for the builders after them.
    std::shared_ptr<FirmwareImage> firmware; // null: direct kernel boot, no firmware
    PciRoot* pci_root = nullptr;
    AcpiPm* acpi_pm = nullptr;
    PiixIde* ide = nullptr;
    DisplaySource* display = nullptr;         // the VGA, when there is one
    DisplayRefresh* display_refresh = nullptr; // its refresh timer: a display consumer (VNC) attaches here
    InputRouter input;                         // keyboard and pointer for VNC: the i8042, virtio input devices
    std::vector<BlockDrive> block_drives; // in the order QEMU's query-block lists them
    std::vector<NicRecord> nics;
    std::map<uint16_t, std::string> pci_ids; // -device id= by slot << 3 | function, for the monitor
    // mon:stdio: the human monitor that shares the terminal with the serial console (Ctrl-A c);
    // null: none does. Owned by the VM's lifecycle, it outlives the machine.
    ConsoleMonitor* console_monitor = nullptr;
    std::vector<BootDevice> boot_devices;
    std::vector<std::function<std::string()>> state_reporters; // SIGUSR2 state report lines

    // A wire to ISA IRQ / IOAPIC input `irq`, owned by the machine.
    [[nodiscard]] InterruptLine& irq_line(uint32_t irq)
    {
        m_irq_lines.push_back(vm.interrupt_line(irq));
        return *m_irq_lines.back();
    }
    // Keeps a device or back end alive as long as the machine.
    template<typename T>
    T& keep(std::shared_ptr<T> object)
    {
        m_objects.push_back(object);
        return *object;
    }
    // Destroys what was kept, newest first (the vCPUs must be stopped).
    void release()
    {
        while (!m_objects.empty())
            m_objects.pop_back();
    }
    ~MachineParts() { release(); }

private:
    std::vector<std::unique_ptr<InterruptLine>> m_irq_lines;
    std::vector<std::shared_ptr<void>> m_objects;
};

using PartBuilder = Result<void> (*)(MachineParts&);

} // namespace vireo
