#include "machine/vm_lifecycle.h"

#include <malloc.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "base/log.h"
#include "devices/input/input_router.h"
#include "machine/assembly/drive_media.h"
#include "machine/machine_queries.h"
#include "monitor/qmp_commands.h"
#include "sandbox/builder_thread.h"

namespace vireo {

// On the builder, as the machine and the monitors' sockets go (a Unix socket's path with them).
VmLifecycle::~VmLifecycle()
{
    sandbox::run_on_builder([this] {
        destroy_machine();
        m_vnc.reset();
        m_device_events.reset();
        m_stdio_monitor.reset();
        m_server.reset();
        if (m_signals)
            m_loop->remove(m_signals.get());
    });
}

// The VNC server lets go of the machine's display and keyboard before they go.
void VmLifecycle::destroy_machine()
{
    sandbox::run_on_builder([this] {
        if (m_vnc)
            m_vnc->detach();
        m_machine.reset();
    });
}

Result<void> VmLifecycle::start_vnc()
{
    if (!m_config.vnc)
        return {};
    VncServerOptions options;
    options.config = *m_config.vnc;
    options.desktop_name = m_config.name.empty() ? "vireo" : m_config.name;
    options.keymap = find_keymap(m_config.keymap);
    if (!options.keymap)
        return make_error("-k {}: unsupported keymap", m_config.keymap);
    if (!m_config.vnc->password_secret.empty())
        options.password = TRY(read_vnc_secret(m_config, m_config.vnc->password_secret));
    m_vnc = TRY(VncServer::create(*m_loop, std::move(options)));
    return {};
}

Result<void> VmLifecycle::build_machine()
{
    Result<void> built;
    sandbox::run_on_builder([&] { built = build_machine_here(); });
    return built;
}

Result<void> VmLifecycle::build_machine_here()
{
    ConsoleMonitor* console_monitor
        = m_stdio_monitor && m_stdio_monitor->shares_console() ? m_stdio_monitor.get() : nullptr;
    m_machine = TRY(PcMachine::create(m_machine_config, *m_loop, *m_kvm, console_monitor));
    if (m_vnc) {
        auto& parts = m_machine->parts();
        TRY(m_vnc->attach(parts.display_refresh, &parts.input));
    }
    m_machine_config.boot.once.clear(); // -boot once=: the next reset boots in the usual order
    carry_media_over();
    // Loading read the kernel and initrd into buffers that are gone now: hand their pages back
    // so they don't count against the VMM's own memory for the life of the VM.
    ::malloc_trim(0);
    return {};
}

Result<void> VmLifecycle::start_stdio_monitor()
{
    bool own = std::any_of(m_config.monitors.begin(), m_config.monitors.end(),
        [](const MonitorConfig& monitor) { return monitor.chardev.backend == "stdio"; });
    // A mon:stdio console has a monitor: given as -serial mon:stdio, or -nographic's default
    // one unless -monitor or -nodefaults took it away (QEMU's default_monitor).
    bool muxed = std::any_of(m_config.serials.begin(), m_config.serials.end(),
        [](const SerialConfig& serial) { return serial.backend == SerialBackend::MonStdio; });
    muxed = muxed || (m_config.serials.empty() && m_config.nographic && m_config.default_monitor);
    if (machine_none())
        muxed = false; // no machine, no serial console to share the terminal with
    if (!own && !muxed)
        return {};
    m_stdio_monitor = TRY(StdioMonitor::create(*m_loop, m_commands,
        own ? StdioMonitor::Input::OwnStdin : StdioMonitor::Input::FromConsole, STDIN_FILENO, STDOUT_FILENO));
    return {};
}

Result<void> VmLifecycle::watch_signals_without_machine()
{
    sigset_t signals;
    sigemptyset(&signals);
    for (int signal_number : { SIGINT, SIGTERM, SIGHUP })
        sigaddset(&signals, signal_number);
    int fd = ::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return errno_error("signalfd");
    m_signals = UniqueFd(fd);
    return m_loop->add(fd, EPOLLIN, [this, fd](uint32_t) {
        signalfd_siginfo info {};
        if (::read(fd, &info, sizeof(info)) != sizeof(info))
            return;
        m_signal_number = static_cast<int>(info.ssi_signo);
        m_host_request = HostRequest::Signal;
        m_loop->stop();
    });
}

RunEnd VmLifecycle::run(const Confine& confine)
{
    // -machine none makes no VM: it needs no /dev/kvm.
    if (!machine_none()) {
        auto kvm = KvmSystem::open();
        if (!kvm)
            return RunEnd { 1, kvm.error().describe() };
        m_kvm = std::move(*kvm);
    }
    auto loop = EventLoop::create();
    if (!loop)
        return RunEnd { 1, loop.error().describe() };
    m_loop = std::move(*loop);
    register_qmp_commands(m_commands, *this);
    // The monitors listen before the guest starts: a client may connect at once (libvirt
    // does, with -S), and wait=on waits here for the first one.
    auto server = QmpServer::create(*m_loop, m_commands, m_config.monitors);
    if (!server)
        return RunEnd { 1, server.error().describe() };
    m_server = std::move(*server);
    auto events = QmpEventQueue::create(*m_loop, [this](std::string_view name, const Json& data) {
        if (m_server)
            m_server->emit_event(name, data);
    });
    if (!events)
        return RunEnd { 1, events.error().describe() };
    m_device_events = std::move(*events);
    if (auto monitor = start_stdio_monitor(); !monitor)
        return RunEnd { 1, monitor.error().describe() };
    if (machine_none()) {
        if (auto watched = watch_signals_without_machine(); !watched)
            return RunEnd { 1, watched.error().describe() };
    } else {
        if (auto vnc = start_vnc(); !vnc)
            return RunEnd { 1, vnc.error().describe() };
        if (auto built = build_machine(); !built)
            return RunEnd { 1, built.error().describe() };
    }
    // From here on, the guest's code runs: vireo gives up what it no longer needs first.
    if (confine) {
        if (auto confined = confine(); !confined)
            return RunEnd { 1, confined.error().describe() };
    }
    m_state = m_config.start_paused ? RunState::Prelaunch : RunState::Running;
    if (m_machine)
        m_machine->start(m_state == RunState::Running ? VcpuThread::Start::Running : VcpuThread::Start::Held);
    while (true) {
        m_loop->run();
        if (auto end = handle_stop())
            return *end;
    }
}

std::optional<RunEnd> VmLifecycle::handle_stop()
{
    switch (std::exchange(m_host_request, HostRequest::None)) {
    case HostRequest::Quit:
        return RunEnd { 0, {} };
    case HostRequest::Reset:
        return restart(false, "host-qmp-system-reset");
    case HostRequest::Signal:
        emit("SHUTDOWN", Json { { "guest", false }, { "reason", "host-signal" } });
        return RunEnd { 0, fmt::format("terminating on signal {}", m_signal_number) };
    case HostRequest::None:
        break;
    }
    if (!m_machine)
        return std::nullopt;
    auto exit = m_machine->take_exit();
    if (!exit)
        return std::nullopt;
    switch (exit->reason) {
    case StopReason::Reset:
    case StopReason::Crash:
        // A crash (triple fault) is always worth a line; a reset the guest asked for is not.
        if (exit->reason == StopReason::Crash)
            log_warn("guest reset after a {}", exit->detail);
        else if (debug_enabled())
            log_warn("guest reset ({})", exit->detail.empty() ? "requested by the guest" : exit->detail);
        return restart(true, "guest-reset");
    case StopReason::PowerOff:
        emit("SHUTDOWN", Json { { "guest", true }, { "reason", "guest-shutdown" } });
        return shut_down();
    case StopReason::Quit:
        if (!m_quit_announced)
            emit("SHUTDOWN", Json { { "guest", false }, { "reason", "host-qmp-quit" } });
        return RunEnd { 0, {} };
    case StopReason::Signal:
        emit("SHUTDOWN", Json { { "guest", false }, { "reason", "host-signal" } });
        return RunEnd { 0, fmt::format("terminating on signal {}", exit->detail) };
    case StopReason::Error:
        return RunEnd { 1, exit->detail };
    }
    return std::nullopt;
}

// A reset builds the machine again, in the run state it had (QEMU: a VM paused, or shut down
// under -no-shutdown, comes back paused). Under -no-reboot a reset is a shutdown instead, as
// QEMU makes it, system_reset included.
std::optional<RunEnd> VmLifecycle::restart(bool guest, const char* cause)
{
    Json data { { "guest", guest }, { "reason", cause } };
    if (m_config.no_reboot) {
        emit("SHUTDOWN", data);
        return shut_down();
    }
    if (!m_machine) { // -machine none: nothing to build again
        emit("RESET", data);
        return std::nullopt;
    }
    destroy_machine();
    if (auto built = build_machine(); !built)
        return RunEnd { 1, built.error().describe() };
    if (m_state == RunState::Shutdown)
        m_state = RunState::Prelaunch;
    m_machine->start(m_state == RunState::Running ? VcpuThread::Start::Running : VcpuThread::Start::Held);
    emit("RESET", data);
    return std::nullopt;
}

// The guest is off: vireo exits, or under -no-shutdown stays, stopped, for the monitor.
std::optional<RunEnd> VmLifecycle::shut_down()
{
    if (!m_config.no_shutdown)
        return RunEnd { 0, {} };
    if (m_machine)
        m_machine->stop_vcpus();
    m_state = RunState::Shutdown;
    emit("STOP");
    return std::nullopt;
}

void VmLifecycle::carry_media_over()
{
    auto drives = drive_set(m_machine->parts());
    for (const auto& [name, medium] : m_media) {
        auto outcome = medium.file.empty() ? vireo::eject_medium(drives, name, MediumForce::Always)
                                           : vireo::insert_medium(drives, name, medium, MediumForce::Always);
        if (!outcome)
            log_warn("{}: the medium changed by the monitor is lost at reset: {}", name, outcome.error().describe());
    }
    // On a vCPU thread with the channel lock held: only queue the event.
    auto* events = m_device_events.get();
    auto watched = watch_trays(drives, [events](const std::string& name, const std::string& qdev, bool open) {
        events->post("DEVICE_TRAY_MOVED", device_tray_moved_data(name, qdev, open));
    });
    if (!watched)
        log_warn("CD-ROM tray events: {}", watched.error().describe());
}

Result<MediumOutcome> VmLifecycle::media_changed(std::string_view device, Result<MediumOutcome> outcome)
{
    if (outcome && *outcome == MediumOutcome::Done) {
        if (const BlockDrive* drive = find_block_drive(drive_set(m_machine->parts()), device))
            m_media.insert_or_assign(std::string(device), drive->config);
    }
    m_device_events->drain(); // the tray's events go before the reply, as QEMU sends them
    return outcome;
}

std::vector<BlockDeviceInfo> VmLifecycle::block_devices() const
{
    return m_machine ? block_device_info(drive_set(m_machine->parts())) : std::vector<BlockDeviceInfo> {};
}

Result<MediumOutcome> VmLifecycle::eject_medium(std::string_view device, MediumForce force)
{
    if (!m_machine)
        return make_error("no machine yet");
    Result<MediumOutcome> outcome = MediumOutcome::Done;
    sandbox::run_on_builder([&] { outcome = vireo::eject_medium(drive_set(m_machine->parts()), device, force); });
    return media_changed(device, std::move(outcome));
}

Result<MediumOutcome> VmLifecycle::change_medium(std::string_view device, const MediumChange& change,
    MediumForce force)
{
    if (!m_machine)
        return make_error("no machine yet");
    Result<MediumOutcome> outcome = MediumOutcome::Done;
    sandbox::run_on_builder([&] { outcome = vireo::change_medium(drive_set(m_machine->parts()), device, change, force); });
    return media_changed(device, std::move(outcome));
}

Result<void> VmLifecycle::set_vnc_password(std::string_view password)
{
    if (!m_vnc)
        return make_error("Could not set password");
    if (!m_vnc->set_password(std::string(password)))
        return make_error("If you want use passwords please enable password auth using '-vnc ${{dpy}},password'.");
    return {};
}

void VmLifecycle::emit(const char* event, const Json& data)
{
    if (m_server)
        m_server->emit_event(event, data);
}

void VmLifecycle::pause()
{
    if (m_state != RunState::Running)
        return; // QEMU: stop on a VM that is not running changes nothing
    if (m_machine)
        m_machine->pause();
    m_state = RunState::Paused;
    emit("STOP");
}

Result<void> VmLifecycle::resume()
{
    if (m_state == RunState::Shutdown)
        return make_error("Resetting the Virtual Machine is required");
    if (m_state == RunState::Running)
        return {};
    if (m_machine)
        m_machine->resume();
    m_state = RunState::Running;
    emit("RESUME");
    return {};
}

void VmLifecycle::reset()
{
    m_host_request = HostRequest::Reset;
    m_loop->stop();
}

void VmLifecycle::press_power_button()
{
    emit("POWERDOWN");
    if (m_machine)
        m_machine->press_power_button();
}

void VmLifecycle::quit()
{
    // The SHUTDOWN event goes before quit's reply, as QEMU sends them.
    emit("SHUTDOWN", Json { { "guest", false }, { "reason", "host-qmp-quit" } });
    m_quit_announced = true;
    m_host_request = HostRequest::Quit;
    m_loop->stop();
}

std::string VmLifecycle::uuid() const
{
    return m_config.uuid.empty() ? "00000000-0000-0000-0000-000000000000" : m_config.uuid;
}

std::vector<VcpuInfo> VmLifecycle::vcpus() const
{
    std::vector<VcpuInfo> list;
    if (!m_machine)
        return list;
    auto ids = m_machine->vcpu_thread_ids();
    const auto& smp = m_config.smp;
    for (uint32_t index = 0; index < ids.size(); ++index) {
        list.push_back(VcpuInfo { index, ids[index], index / (smp.threads * smp.cores),
            (index / smp.threads) % smp.cores, index % smp.threads });
    }
    return list;
}

std::vector<ChardevInfo> VmLifecycle::chardevs() const
{
    std::vector<ChardevInfo> list;
    for (const auto& monitor : m_config.monitors) {
        if (monitor.chardev.backend == "stdio") {
            list.push_back(ChardevInfo { monitor.chardev.id, "stdio", true });
            continue;
        }
        const auto& options = monitor.chardev.options;
        std::string address;
        if (auto path = options.find("path"); path != options.end())
            address = "unix:" + path->second;
        else if (auto fd = options.find("fd"); fd != options.end())
            address = "fd:" + fd->second;
        else
            address = fmt::format("tcp:{}:{}", options.contains("host") ? options.at("host") : "",
                options.contains("port") ? options.at("port") : "");
        bool connected = m_server && m_server->has_clients(monitor.chardev.id);
        list.push_back(ChardevInfo { monitor.chardev.id,
            fmt::format("{}{},server=on", connected ? "" : "disconnected:", address), connected });
    }
    for (const auto& chardev : m_config.chardevs) {
        bool is_monitor = std::any_of(m_config.monitors.begin(), m_config.monitors.end(),
            [&](const MonitorConfig& monitor) { return monitor.chardev.id == chardev.id; });
        if (!is_monitor)
            list.push_back(ChardevInfo { chardev.id, chardev.backend, true });
    }
    return list;
}

ExitProfileReport VmLifecycle::exit_profile() const
{
    return m_machine ? m_machine->exit_report() : ExitProfileReport {};
}

void VmLifecycle::reset_exit_profile()
{
    if (m_machine)
        m_machine->reset_exit_profile();
}

std::vector<PciFunctionInfo> VmLifecycle::pci_functions() const
{
    return m_machine ? pci_function_list(m_machine->parts()) : std::vector<PciFunctionInfo> {};
}

Result<void> VmLifecycle::read_guest_memory(uint64_t address, std::span<uint8_t> out) const
{
    if (!m_machine)
        return make_error("no guest memory");
    return m_machine->parts().memory.read(address, out);
}

std::vector<std::pair<uint64_t, uint64_t>> VmLifecycle::ram_regions() const
{
    std::vector<std::pair<uint64_t, uint64_t>> regions;
    if (!m_machine)
        return regions;
    for (const auto& region : m_machine->parts().layout.ram_regions)
        regions.emplace_back(region.start, region.start + region.size);
    return regions;
}

Result<VcpuRegisters> VmLifecycle::vcpu_registers(uint32_t index)
{
    if (!m_machine)
        return make_error("No CPU available");
    auto access = m_state == RunState::Running ? PcMachine::VcpuAccess::Held : PcMachine::VcpuAccess::AsIs;
    auto [regs, sregs] = TRY(m_machine->vcpu_registers(index, access));
    return vcpu_registers_of(regs, sregs);
}

Result<void> VmLifecycle::send_keys(std::span<const PcKeyCode> keys)
{
    if (!m_machine)
        return make_error("no keyboard");
    auto& input = m_machine->parts().input;
    for (const auto& key : keys)
        input.key_event(PcKey { key.code, key.extended }, true);
    for (auto key = keys.rbegin(); key != keys.rend(); ++key)
        input.key_event(PcKey { key->code, key->extended }, false);
    return {};
}

std::vector<NetClientInfo> VmLifecycle::network_clients() const
{
    return m_machine ? network_client_list(m_machine->parts()) : std::vector<NetClientInfo> {};
}

} // namespace vireo
