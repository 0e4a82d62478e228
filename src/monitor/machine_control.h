#pragma once
// What the monitor may ask of the machine: a narrow interface that the VM's lifecycle
// implements (machine/vm_lifecycle) and unit tests fake. Handlers never reach a device.
// Every call comes from the event loop's thread.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "profile/exit_report.h"

namespace vireo {

// QEMU's RunState values that vireo reaches.
enum class RunState { Prelaunch, Running, Paused, Shutdown };

[[nodiscard]] constexpr std::string_view run_state_name(RunState state)
{
    switch (state) {
    case RunState::Prelaunch:
        return "prelaunch";
    case RunState::Running:
        return "running";
    case RunState::Paused:
        return "paused";
    case RunState::Shutdown:
        return "shutdown";
    }
    return "running";
}

struct VcpuInfo {
    uint32_t index = 0;
    int64_t thread_id = 0; // the host thread running it
    uint32_t socket_id = 0;
    uint32_t core_id = 0;
    uint32_t thread_in_core = 0;
};

struct ChardevInfo {
    std::string label;    // its id
    std::string filename; // QEMU's encoding: "unix:/path,server=on", "stdio", ...
    bool frontend_open = false;
};

// The medium in a drive, as query-block's "inserted" (BlockDeviceInfo) reports it.
struct BlockMedium {
    std::string file;
    std::string format;         // "raw" or "qcow2"
    bool read_only = false;
    uint64_t virtual_size = 0;
    int backing_depth = 0;
    std::string backing_file;   // empty: none
    bool writeback = true;      // the cache mode (BlockdevCacheInfo)
    bool direct = false;
    bool no_flush = false;
};

// One drive of the guest (query-block's BlockInfo).
struct BlockDeviceInfo {
    std::string device;             // the block backend's name: "ide0-hd0", "ide1-cd0", "virtio0" or -drive id=
    std::string qdev;               // the guest device's id, or its QOM path
    bool removable = false;
    bool locked = false;            // the guest prevents medium removal
    std::optional<bool> tray_open;  // drives with a tray only
    std::optional<BlockMedium> medium;
};

// What a host media request came to, when it did not fail outright.
enum class MediumOutcome {
    Done,
    NotRemovable,  // the drive has no removable medium
    Locked,        // the guest locked the tray: it got an eject request, nothing changed
};
enum class MediumForce { IfUnlocked, Always };
enum class ReadOnlyMode { Retain, ReadOnly, ReadWrite }; // BlockdevChangeReadOnlyMode

// blockdev-change-medium's new medium.
struct MediumChange {
    std::string file;
    std::string format; // empty: probed
    ReadOnlyMode read_only = ReadOnlyMode::Retain;
};

// A key by its PC scan code set 1 make code (extended: the 0xe0 prefix), as sendkey names it.
struct PcKeyCode {
    uint8_t code = 0;
    bool extended = false;
    bool operator==(const PcKeyCode&) const = default;
};

// One BAR of a PCI function (query-pci's PciMemoryRegion).
struct PciBarInfo {
    enum class Kind { Io, Memory32, Memory64 };
    int index = 0;
    Kind kind = Kind::Memory32;
    bool prefetchable = false;
    std::optional<uint64_t> address; // absent: not mapped (decoding off, or not programmed)
    uint64_t size = 0;
};

// One function on PCI bus 0 (query-pci's PciDeviceInfo), read from its configuration space.
struct PciFunctionInfo {
    uint8_t slot = 0;
    uint8_t function = 0;
    uint16_t vendor = 0;
    uint16_t device = 0;
    uint16_t subsystem_vendor = 0;
    uint16_t subsystem = 0;
    uint32_t class_code = 0; // class << 16 | subclass << 8 | prog-if
    uint8_t irq = 0;         // the Interrupt Line register
    uint8_t pin = 0;         // the Interrupt Pin register: 0 none, 1 INTA# ...
    std::vector<PciBarInfo> bars;
    std::string id;          // the -device id=, empty when none was given
};

// An x86 segment register as KVM holds it (the descriptor cache).
struct SegmentInfo {
    uint16_t selector = 0;
    uint64_t base = 0;
    uint32_t limit = 0;
    uint8_t type = 0;
    bool present = false;
    uint8_t dpl = 0;
    bool db = false;
    bool s = false;
    bool l = false;
    bool g = false;
    bool avl = false;
};

struct DescriptorTableInfo {
    uint64_t base = 0;
    uint16_t limit = 0;
};

// A vCPU's architectural registers, for `info registers`.
struct VcpuRegisters {
    uint64_t rax = 0, rbx = 0, rcx = 0, rdx = 0, rsi = 0, rdi = 0, rbp = 0, rsp = 0;
    uint64_t r8 = 0, r9 = 0, r10 = 0, r11 = 0, r12 = 0, r13 = 0, r14 = 0, r15 = 0;
    uint64_t rip = 0, rflags = 0;
    SegmentInfo es, cs, ss, ds, fs, gs, ldt, tr;
    DescriptorTableInfo gdt, idt;
    uint64_t cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0, efer = 0;
    bool halted = false;
};

// A guest NIC and the host back end behind it, for `info network`.
struct NetClientInfo {
    std::string nic_name;     // QEMU's NIC client name: "virtio-net-pci.0", or the -device id=
    std::string model;        // "virtio-net-pci"
    std::string mac;          // "52:54:00:12:34:56"
    std::string netdev_id;    // empty: no back end
    std::string netdev_info;  // "index=0,type=user,net=10.0.2.0,restrict=off"
};

class MachineControl {
public:
    virtual ~MachineControl() = default;

    // stop: every vCPU out of KVM_RUN and held; a STOP event if the VM was running.
    virtual void pause() = 0;
    // cont: the vCPUs run again (RESUME event). An error when the VM must be reset first
    // (after a guest power-off under -no-shutdown).
    [[nodiscard]] virtual Result<void> resume() = 0;
    // system_reset: the machine is built again (RESET event once it is).
    virtual void reset() = 0;
    // system_powerdown: the ACPI power button is pressed (POWERDOWN event).
    virtual void press_power_button() = 0;
    // quit: SHUTDOWN event now, then vireo exits once the reply is sent.
    virtual void quit() = 0;

    [[nodiscard]] virtual RunState run_state() const = 0;
    [[nodiscard]] virtual std::string name() const = 0;  // empty: none given
    [[nodiscard]] virtual std::string uuid() const = 0;  // the null UUID when none given
    [[nodiscard]] virtual uint64_t memory_bytes() const = 0;
    [[nodiscard]] virtual std::vector<VcpuInfo> vcpus() const = 0;
    [[nodiscard]] virtual std::vector<ChardevInfo> chardevs() const = 0;

    // Block devices, in QEMU's query-block order. `device` below is a BlockDeviceInfo::device.
    [[nodiscard]] virtual std::vector<BlockDeviceInfo> block_devices() const = 0;
    // eject: opens the tray and removes the medium (DEVICE_TRAY_MOVED events as the tray moves).
    [[nodiscard]] virtual Result<MediumOutcome> eject_medium(std::string_view device, MediumForce force) = 0;
    // blockdev-change-medium: opens the new image first (an error: nothing changed), then swaps it
    // in and closes the tray.
    [[nodiscard]] virtual Result<MediumOutcome> change_medium(std::string_view device, const MediumChange& change,
        MediumForce force) = 0;
    // set_password protocol=vnc: the VNC server's password from now on. An error (QEMU's text)
    // when there is no VNC server or it was started without password authentication.
    [[nodiscard]] virtual Result<void> set_vnc_password(std::string_view password) = 0;

    // The exit profiler (x-vireo-query-exits, info exits): counts since the machine was built
    // or since reset_exit_profile(). A machine without vCPUs reports none.
    [[nodiscard]] virtual ExitProfileReport exit_profile() const { return {}; }
    virtual void reset_exit_profile() { }
    // Bus 0's functions in slot order (empty: no machine, as under -machine none).
    [[nodiscard]] virtual std::vector<PciFunctionInfo> pci_functions() const = 0;
    // Guest RAM at a guest-physical address: all of `out`, or an error when any byte of the
    // range is outside RAM (xp, and x once it has translated).
    [[nodiscard]] virtual Result<void> read_guest_memory(uint64_t address, std::span<uint8_t> out) const = 0;
    // The guest-physical RAM regions, [start, end), for `info mtree`.
    [[nodiscard]] virtual std::vector<std::pair<uint64_t, uint64_t>> ram_regions() const = 0;
    // A vCPU's registers: a running vCPU is held for the read and let go at once.
    [[nodiscard]] virtual Result<VcpuRegisters> vcpu_registers(uint32_t index) = 0;
    // sendkey: the keys go down in order and come up in reverse, on the keyboard the user's
    // keys reach (the i8042's, or a virtio keyboard).
    [[nodiscard]] virtual Result<void> send_keys(std::span<const PcKeyCode> keys) = 0;
    [[nodiscard]] virtual std::vector<NetClientInfo> network_clients() const = 0;
};

} // namespace vireo
