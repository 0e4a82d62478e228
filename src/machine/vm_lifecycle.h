#pragma once
// A VM's life from start to exit, across guest resets: owns the event loop, the monitors (QMP
// and human, on sockets and stdio) and the current PcMachine (built again on every reset),
// keeps the run state (prelaunch, running, paused, shutdown) and sends the lifecycle events.
// It is the MachineControl the monitor's commands use; everything here runs on the event
// loop's thread, but for what the builder thread does for it while the loop waits (building and
// destroying machines, media changes). Under -machine none there is no PcMachine at all: only
// the monitors run, until quit or a signal (libvirt's capability probe).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/event_loop.h"
#include "config/vm_config.h"
#include "machine/pc_machine.h"
#include "monitor/command_table.h"
#include "monitor/event_queue.h"
#include "monitor/machine_control.h"
#include "monitor/qmp_server.h"
#include "monitor/stdio_monitor.h"
#include "ui/vnc_server.h"

namespace vireo {

// How a run ends: the process exit status, and a message for the user (printed once the
// terminal is back to normal).
struct RunEnd {
    int status = 0;
    std::string message;
};

class VmLifecycle final : public MachineControl {
public:
    explicit VmLifecycle(const VmConfig& config)
        : m_config(config)
        , m_machine_config(config)
    {
    }
    ~VmLifecycle() override;

    // Opens the monitors, builds the machine and runs it until vireo should exit. `confine` runs
    // once the first machine is built, before its vCPUs start (privilege drop, the loop thread's
    // seccomp filter); an error from it ends the run.
    using Confine = std::function<Result<void>()>;
    [[nodiscard]] RunEnd run(const Confine& confine = {});

    // MachineControl
    void pause() override;
    [[nodiscard]] Result<void> resume() override;
    void reset() override;
    void press_power_button() override;
    void quit() override;
    [[nodiscard]] RunState run_state() const override { return m_state; }
    [[nodiscard]] std::string name() const override { return m_config.name; }
    [[nodiscard]] std::string uuid() const override;
    [[nodiscard]] uint64_t memory_bytes() const override { return m_config.memory_bytes; }
    [[nodiscard]] std::vector<VcpuInfo> vcpus() const override;
    [[nodiscard]] std::vector<ChardevInfo> chardevs() const override;
    [[nodiscard]] std::vector<BlockDeviceInfo> block_devices() const override;
    [[nodiscard]] Result<MediumOutcome> eject_medium(std::string_view device, MediumForce force) override;
    [[nodiscard]] Result<MediumOutcome> change_medium(std::string_view device, const MediumChange& change,
        MediumForce force) override;
    [[nodiscard]] Result<void> set_vnc_password(std::string_view password) override;
    [[nodiscard]] ExitProfileReport exit_profile() const override;
    void reset_exit_profile() override;
    [[nodiscard]] std::vector<PciFunctionInfo> pci_functions() const override;
    [[nodiscard]] Result<void> read_guest_memory(uint64_t address, std::span<uint8_t> out) const override;
    [[nodiscard]] std::vector<std::pair<uint64_t, uint64_t>> ram_regions() const override;
    [[nodiscard]] Result<VcpuRegisters> vcpu_registers(uint32_t index) override;
    [[nodiscard]] Result<void> send_keys(std::span<const PcKeyCode> keys) override;
    [[nodiscard]] std::vector<NetClientInfo> network_clients() const override;

private:
    enum class HostRequest { None, Reset, Quit, Signal };

    // The human monitor on the terminal: -monitor stdio, or the one a mon:stdio console
    // shares it with (Ctrl-A c).
    [[nodiscard]] Result<void> start_stdio_monitor();
    // -machine none: the signals a machine would take (SIGINT, SIGTERM, SIGHUP) end the run.
    [[nodiscard]] Result<void> watch_signals_without_machine();
    [[nodiscard]] bool machine_none() const { return m_config.machine == "none"; }

    // Building and destroying a machine, and changing its media, run on the builder thread
    // (sandbox/builder_thread.h): the loop's filter allows none of what they take.
    [[nodiscard]] Result<void> build_machine();
    [[nodiscard]] Result<void> build_machine_here();
    // -vnc: listens before the guest starts; a port in use ends vireo at once.
    [[nodiscard]] Result<void> start_vnc();
    void destroy_machine();
    // A new machine gets the media the monitor put in or took out of the last one, then reports
    // its trays' moves as DEVICE_TRAY_MOVED.
    void carry_media_over();
    // After a host media change: records it for the next machine, sends the tray events now.
    Result<MediumOutcome> media_changed(std::string_view device, Result<MediumOutcome> outcome);
    // After the loop stopped: what to do next. A value: vireo ends.
    [[nodiscard]] std::optional<RunEnd> handle_stop();
    [[nodiscard]] std::optional<RunEnd> restart(bool guest, const char* cause);
    [[nodiscard]] std::optional<RunEnd> shut_down();
    void emit(const char* event, const Json& data = nullptr);

    const VmConfig& m_config;
    // What each machine is built from: the configuration, less what holds for the first boot
    // only (-boot once=).
    VmConfig m_machine_config;
    // /dev/kvm for the whole run: each machine gets a handle of its own from it.
    std::optional<KvmSystem> m_kvm;
    // Destroyed in reverse: the machine and the monitors leave the loop before it goes.
    std::unique_ptr<EventLoop> m_loop;
    CommandTable m_commands;
    std::unique_ptr<QmpServer> m_server;
    std::unique_ptr<StdioMonitor> m_stdio_monitor;
    UniqueFd m_signals;   // -machine none only
    int m_signal_number = 0;
    std::unique_ptr<VncServer> m_vnc; // -vnc: attached to each machine's display and input
    std::unique_ptr<QmpEventQueue> m_device_events; // raised on vCPU threads (a tray the guest moves)
    // The monitor's media changes, by drive: the medium now in it (file empty: ejected). QEMU's
    // media outlive a reset; vireo's machine is built again from the command line.
    std::map<std::string, DriveConfig, std::less<>> m_media;
    std::unique_ptr<PcMachine> m_machine;
    RunState m_state = RunState::Running;
    HostRequest m_host_request = HostRequest::None;
    bool m_quit_announced = false; // quit's SHUTDOWN event is sent (before its reply)
};

} // namespace vireo
