// libFuzzer target for the QMP input path: the stream reader, JSON parsing, the envelope checks,
// argument checks and every command's handler, run by a session against a fake machine. Input
// layout: the first byte picks the read size (bytes arrive in chunks of 1 to 256), the rest is
// the stream; a small message limit makes the oversized path reachable. Every reply must be one
// CRLF-terminated JSON object. With bit 2 of the first byte the stream goes to the human
// monitor instead (its line editor, command parsing, x/xp over page tables from the input).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "monitor/hmp_session.h"
#include "monitor/qmp_commands.h"
#include "monitor/qmp_session.h"

using namespace vireo;

namespace {

class FuzzMachine final : public MachineControl {
public:
    void pause() override { m_state = m_state == RunState::Running ? RunState::Paused : m_state; }
    Result<void> resume() override
    {
        if (m_state == RunState::Shutdown)
            return make_error("Resetting the Virtual Machine is required");
        m_state = RunState::Running;
        return {};
    }
    void reset() override { m_state = RunState::Running; }
    void press_power_button() override { m_state = RunState::Shutdown; }
    void quit() override { }
    RunState run_state() const override { return m_state; }
    std::string name() const override { return "fuzz"; }
    std::string uuid() const override { return "00000000-0000-0000-0000-000000000000"; }
    uint64_t memory_bytes() const override { return 1 << 20; }
    std::vector<VcpuInfo> vcpus() const override { return { VcpuInfo {} }; }
    std::vector<ChardevInfo> chardevs() const override { return { ChardevInfo { "m", "stdio", true } }; }
    // A disk and a CD-ROM; media changes never open a file here.
    std::vector<BlockDeviceInfo> block_devices() const override
    {
        BlockDeviceInfo disk { "ide0-hd0", "/machine/unattached/device[1]", false, false, std::nullopt,
            BlockMedium { "d.img", "raw", false, 1 << 20, 0, {}, true, false, false } };
        BlockDeviceInfo cdrom { "ide1-cd0", "/machine/unattached/device[2]", true, m_locked, m_tray_open,
            std::nullopt };
        return { disk, cdrom };
    }
    Result<MediumOutcome> eject_medium(std::string_view device, MediumForce force) override
    {
        return move_tray(device, force, true);
    }
    Result<MediumOutcome> change_medium(std::string_view device, const MediumChange& change, MediumForce force) override
    {
        if (change.file.empty())
            return make_error("no file");
        return move_tray(device, force, false);
    }
    Result<void> set_vnc_password(std::string_view) override { return make_error("Could not set password"); }
    std::vector<PciFunctionInfo> pci_functions() const override
    {
        return { PciFunctionInfo { 1, 1, 0x8086, 0x7010, 0x1af4, 0x1100, 0x010180, 0, 0,
            { PciBarInfo { 4, PciBarInfo::Kind::Io, false, std::nullopt, 16 } }, "" } };
    }
    // The human monitor's x and xp read this: 64 KiB of RAM at 0 with page tables the input
    // itself may have written (CR3 points into it).
    Result<void> read_guest_memory(uint64_t address, std::span<uint8_t> out) const override
    {
        if (address > m_ram.size() || out.size() > m_ram.size() - address)
            return make_error("outside guest RAM");
        std::copy_n(m_ram.begin() + static_cast<ptrdiff_t>(address), out.size(), out.begin());
        return {};
    }
    std::vector<std::pair<uint64_t, uint64_t>> ram_regions() const override { return { { 0, m_ram.size() } }; }
    Result<VcpuRegisters> vcpu_registers(uint32_t index) override
    {
        if (index != 0)
            return make_error("no vCPU {}", index);
        VcpuRegisters registers;
        registers.cr0 = 0x80000011;
        registers.cr4 = 0x20;
        registers.efer = 0x500;
        registers.cr3 = 0x1000;
        return registers;
    }
    Result<void> send_keys(std::span<const PcKeyCode>) override { return {}; }
    std::vector<NetClientInfo> network_clients() const override { return {}; }
    // Fills RAM from the input, repeated, so that page walks meet arbitrary entries (whole
    // copies of it: a byte-by-byte loop over 64 KiB was most of a short human-monitor input).
    void fill_ram(std::span<const uint8_t> data)
    {
        if (data.empty())
            return;
        for (size_t i = 0; i < m_ram.size(); i += data.size())
            std::memcpy(m_ram.data() + i, data.data(), std::min(data.size(), m_ram.size() - i));
    }

private:
    Result<MediumOutcome> move_tray(std::string_view device, MediumForce force, bool open)
    {
        if (device != "ide1-cd0")
            return MediumOutcome::NotRemovable;
        if (m_locked && force == MediumForce::IfUnlocked)
            return MediumOutcome::Locked;
        m_tray_open = open;
        m_locked = !open;
        return MediumOutcome::Done;
    }

    RunState m_state = RunState::Running;
    std::vector<uint8_t> m_ram = std::vector<uint8_t>(64 * 1024);
    bool m_tray_open = false;
    bool m_locked = false;
};

void check_replies(std::string_view out)
{
    while (!out.empty()) {
        size_t end = out.find("\r\n");
        if (end == std::string_view::npos)
            __builtin_trap(); // every message ends with CRLF
        auto reply = Json::parse(out.substr(0, end), nullptr, false);
        if (reply.is_discarded() || !reply.is_object())
            __builtin_trap();
        if (!reply.contains("return") && !reply.contains("error"))
            __builtin_trap();
        out.remove_prefix(end + 2);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    static FuzzMachine machine;
    static CommandTable table = [] {
        CommandTable commands;
        register_qmp_commands(commands, machine);
        return commands;
    }();
    size_t chunk = size_t { data[0] } + 1;
    std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
    if (data[0] & 4) {
        // The human monitor: the bytes typed as lines; x and xp walk page tables the input wrote.
        machine.fill_ram(std::span(data, size));
        HmpSession human(table);
        while (!stream.empty()) {
            auto piece = stream.substr(0, chunk);
            stream.remove_prefix(piece.size());
            std::string out;
            (void)human.feed(piece, out);
        }
        return 0;
    }
    QmpSession session(table, (data[0] & 1) ? QmpStyle::Pretty : QmpStyle::Compact, 4096);
    // Past the negotiation at once half of the time, so that commands run.
    if (data[0] & 2) {
        std::string out;
        (void)session.feed("{\"execute\": \"qmp_capabilities\"}", out);
    }
    while (!stream.empty()) {
        auto piece = stream.substr(0, chunk);
        stream.remove_prefix(piece.size());
        std::string out;
        auto status = session.feed(piece, out);
        check_replies(out);
        if (status == QmpSession::Status::Drop)
            break;
    }
    return 0;
}
