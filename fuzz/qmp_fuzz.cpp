// libFuzzer target for the QMP input path: the stream reader, JSON parsing, the envelope checks,
// argument checks and every command's handler, run by a session against a fake machine. Input
// layout: the first byte picks the read size (bytes arrive in chunks of 1 to 256), the rest is
// the stream; a small message limit makes the oversized path reachable. Every reply must be one
// CRLF-terminated JSON object.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

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
