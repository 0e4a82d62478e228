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

#include "fuzz_reader.h"
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
    // Before each input: running, tray closed and unlocked, as a new machine. (The machine lives
    // as long as the process, and an input that stopped it or locked the tray must not change
    // what the next one sees.) RAM is not read before fill_ram writes all of it.
    void start_input()
    {
        m_state = RunState::Running;
        m_tray_open = false;
        m_locked = false;
    }
    // Fills RAM from the input, repeated, so that page walks meet arbitrary entries.
    void fill_ram(std::span<const uint8_t> data) { fuzz::repeat_fill(m_ram, data); }

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

// What check_replies needs to know of a reply, from nlohmann's SAX events: that it is one
// well-formed JSON object and which members it has at the top. Building the reply as a Json
// value (a node and a string per member, under ASan) took half as long as the session itself.
class ReplyShape final : public nlohmann::json_sax<Json> {
public:
    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool string(string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool start_object(std::size_t) override
    {
        if (m_depth == 0)
            m_object = true;
        ++m_depth;
        return true;
    }
    bool key(string_t& name) override
    {
        if (m_depth == 1 && (name == "return" || name == "error"))
            m_answer = true;
        return true;
    }
    bool end_object() override { return end(); }
    bool start_array(std::size_t) override
    {
        ++m_depth;
        return true;
    }
    bool end_array() override { return end(); }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

    // An object with a "return" or "error" member.
    bool is_reply() const { return m_object && m_answer; }

private:
    bool value() { return m_depth > 0; } // a bare scalar is not a reply
    bool end()
    {
        --m_depth;
        return true;
    }
    int m_depth = 0;
    bool m_object = false;
    bool m_answer = false;
};

void check_replies(std::string_view out)
{
    while (!out.empty()) {
        size_t end = out.find("\r\n");
        if (end == std::string_view::npos)
            __builtin_trap(); // every message ends with CRLF
        ReplyShape shape;
        if (!Json::sax_parse(out.substr(0, end), &shape) || !shape.is_reply())
            __builtin_trap(); // not one JSON object with "return" or "error"
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
    machine.start_input();
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
