#pragma once
// A MachineControl for monitor tests: records what the commands asked and plays a run state
// machine like the VM lifecycle's, with the events it would send.
#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "monitor/machine_control.h"

namespace vireo {

class FakeMachineControl final : public MachineControl {
public:
    void pause() override
    {
        calls.push_back("pause");
        if (state == RunState::Running) {
            state = RunState::Paused;
            events.push_back("STOP");
        }
    }
    Result<void> resume() override
    {
        calls.push_back("resume");
        if (state == RunState::Shutdown)
            return make_error("Resetting the Virtual Machine is required");
        if (state != RunState::Running) {
            state = RunState::Running;
            events.push_back("RESUME");
        }
        return {};
    }
    void reset() override { calls.push_back("reset"); }
    void press_power_button() override
    {
        calls.push_back("power_button");
        events.push_back("POWERDOWN");
    }
    void quit() override
    {
        calls.push_back("quit");
        events.push_back("SHUTDOWN");
    }
    RunState run_state() const override { return state; }
    std::string name() const override { return vm_name; }
    std::string uuid() const override { return "00000000-0000-0000-0000-000000000000"; }
    uint64_t memory_bytes() const override { return 256ULL << 20; }
    std::vector<VcpuInfo> vcpus() const override
    {
        return { VcpuInfo { 0, 4242, 0, 0, 0 }, VcpuInfo { 1, 4243, 1, 0, 0 } };
    }
    std::vector<ChardevInfo> chardevs() const override
    {
        return { ChardevInfo { "compat_monitor0", "disconnected:unix:/tmp/q,server=on", false } };
    }

    std::vector<BlockDeviceInfo> block_devices() const override { return drives; }
    Result<MediumOutcome> eject_medium(std::string_view device, MediumForce force) override
    {
        calls.push_back(fmt::format("eject {}{}", device, force == MediumForce::Always ? " force" : ""));
        auto* drive = find(device);
        if (!drive)
            return make_error("no block device '{}'", device);
        if (!drive->removable)
            return MediumOutcome::NotRemovable;
        if (drive->locked && force == MediumForce::IfUnlocked)
            return MediumOutcome::Locked;
        move_tray(*drive, true);
        drive->locked = false;
        drive->medium.reset();
        return MediumOutcome::Done;
    }
    Result<MediumOutcome> change_medium(std::string_view device, const MediumChange& change,
        MediumForce force) override
    {
        calls.push_back(fmt::format("change {} {}", device, change.file));
        auto* drive = find(device);
        if (!drive)
            return make_error("no block device '{}'", device);
        if (change.file == "/missing.iso")
            return std::unexpected(Error { ENOENT, change.file });
        if (!drive->removable)
            return MediumOutcome::NotRemovable;
        if (drive->locked && force == MediumForce::IfUnlocked)
            return MediumOutcome::Locked;
        move_tray(*drive, true);
        BlockMedium medium;
        medium.file = change.file;
        medium.format = change.format.empty() ? "raw" : change.format;
        medium.read_only = change.read_only != ReadOnlyMode::ReadWrite;
        medium.virtual_size = 1 << 20;
        drive->medium = medium;
        drive->locked = false;
        move_tray(*drive, false);
        return MediumOutcome::Done;
    }
    Result<void> set_vnc_password(std::string_view password) override
    {
        if (!vnc_password_auth)
            return make_error("Could not set password");
        vnc_password = std::string(password);
        return {};
    }
    bool vnc_password_auth = false;
    std::string vnc_password;
    ExitProfileReport exit_profile() const override { return exits; }
    void reset_exit_profile() override
    {
        calls.push_back("reset_exit_profile");
        exits = {};
    }
    ExitProfileReport exits;

    std::vector<PciFunctionInfo> pci_functions() const override { return pci; }
    // Guest RAM: `ram` at guest-physical 0.
    Result<void> read_guest_memory(uint64_t address, std::span<uint8_t> out) const override
    {
        if (address > ram.size() || out.size() > ram.size() - address)
            return make_error("outside guest RAM");
        std::copy_n(ram.begin() + static_cast<ptrdiff_t>(address), out.size(), out.begin());
        return {};
    }
    std::vector<std::pair<uint64_t, uint64_t>> ram_regions() const override { return { { 0, ram.size() } }; }
    Result<VcpuRegisters> vcpu_registers(uint32_t index) override
    {
        calls.push_back(fmt::format("registers {}", index));
        if (index >= 2)
            return make_error("no vCPU {}", index);
        return registers;
    }
    Result<void> send_keys(std::span<const PcKeyCode> keys) override
    {
        sent_keys.assign(keys.begin(), keys.end());
        return {};
    }
    std::vector<NetClientInfo> network_clients() const override { return nics; }

    std::vector<PciFunctionInfo> pci;
    std::vector<uint8_t> ram = std::vector<uint8_t>(64 * 1024);
    VcpuRegisters registers;
    std::vector<PcKeyCode> sent_keys;
    std::vector<NetClientInfo> nics;

    // An IDE disk and the default CD-ROM drive, as a plain `vireo -hda disk.qcow2` has them.
    static std::vector<BlockDeviceInfo> default_drives()
    {
        BlockMedium disk { "disk.qcow2", "qcow2", false, 8 << 20, 1, "base.qcow2", true, false, false };
        return { BlockDeviceInfo { "ide0-hd0", "/machine/unattached/device[2]", false, false, std::nullopt, disk },
            BlockDeviceInfo { "ide1-cd0", "/machine/unattached/device[3]", true, false, false, std::nullopt } };
    }

    RunState state = RunState::Running;
    std::vector<BlockDeviceInfo> drives = default_drives();
    std::string vm_name;
    std::vector<std::string> calls;
    std::vector<std::string> events;

private:
    BlockDeviceInfo* find(std::string_view device)
    {
        auto found = std::ranges::find(drives, device, &BlockDeviceInfo::device);
        return found == drives.end() ? nullptr : &*found;
    }
    void move_tray(BlockDeviceInfo& drive, bool open)
    {
        if (drive.tray_open != open)
            events.push_back(fmt::format("DEVICE_TRAY_MOVED {} {}", drive.device, open));
        drive.tray_open = open;
    }
};

} // namespace vireo
