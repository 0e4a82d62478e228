#pragma once
// Vireo's `pc` machine: owns the KVM VM, guest memory, the buses, every device and the vCPU
// threads. Built from a VmConfig in one place; nothing registers itself. Its fds are watched by
// an event loop it borrows (the VM's lifecycle owns it, and it outlives the machine across
// resets); a stop request stops that loop, and the lifecycle takes the reason (take_exit).
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "base/event_loop.h"
#include "base/result.h"
#include "bus/bus.h"
#include "config/vm_config.h"
#include "kvm/kvm_system.h"
#include "kvm/vm.h"
#include "machine/assembly/machine_parts.h"
#include "machine/boot/boot_setup.h"
#include "machine/memory_map.h"
#include "machine/vcpu_thread.h"
#include "machine/vm_control.h"
#include "memory/guest_memory.h"
#include "profile/exit_report.h"

namespace vireo {

struct MachineExit {
    StopReason reason;
    std::string detail;
};

class PcMachine final : public VmControl {
public:
    // Builds a machine on a handle of its own on `kvm` (/dev/kvm, opened once for the whole run).
    // console_monitor: the human monitor a mon:stdio console shares the terminal with (or null).
    [[nodiscard]] static Result<std::unique_ptr<PcMachine>> create(const VmConfig& config, EventLoop& loop,
        const KvmSystem& kvm, ConsoleMonitor* console_monitor = nullptr);
    ~PcMachine() override;

    // Starts the vCPU threads, running or held before their first instruction (-S).
    void start(VcpuThread::Start mode);
    // Every vCPU out of KVM_RUN and held, the guest's clock kept (KVM_GET_CLOCK); resume()
    // sets the clock back and lets them run.
    void pause();
    void resume();
    // Ends the vCPU threads (after a power-off the machine stays, stopped, under -no-shutdown).
    void stop_vcpus();
    // The ACPI fixed-feature power button (system_powerdown).
    void press_power_button();
    // What the builders made: the drives for the monitor (machine/assembly/drive_media.h).
    [[nodiscard]] MachineParts& parts() { return *m_parts; }
    [[nodiscard]] const MachineParts& parts() const { return *m_parts; }
    // A vCPU's registers. Held: the vCPU is running and is held out of KVM_RUN for the read
    // (KVM_GET_REGS would wait for KVM_RUN to return otherwise); AsIs: it is paused or not
    // started.
    enum class VcpuAccess { Held, AsIs };
    [[nodiscard]] Result<std::pair<kvm_regs, kvm_sregs>> vcpu_registers(uint32_t index, VcpuAccess access);
    // The host thread of each vCPU, in vCPU order.
    [[nodiscard]] std::vector<pid_t> vcpu_thread_ids() const;
    // The exit profiler: every vCPU's counts since the machine was built or the last reset of
    // the profile (event loop thread only: the baseline is its own).
    [[nodiscard]] ExitProfileReport exit_report() const;
    void reset_exit_profile();

    void request_stop(StopReason reason, std::string detail = {}) override;
    // The stop request that stopped the loop, if one came; requests are taken again after it.
    [[nodiscard]] std::optional<MachineExit> take_exit();

private:
    PcMachine(const VmConfig& config, KvmSystem kvm, std::unique_ptr<Vm> vm, MemoryLayout layout,
        GuestMemory memory, EventLoop& loop);

    [[nodiscard]] Result<void> load_guest();        // kernel, initrd, ACPI tables (pc_boot.cpp)
    [[nodiscard]] Result<void> create_vcpus();      // pc_boot.cpp
    [[nodiscard]] Result<void> create_devices();    // the machine type's builders (pc_machine_type.cpp)
    [[nodiscard]] Result<void> watch_signals();
    void report_state();

    const VmConfig& m_config;
    KvmSystem m_kvm;
    std::unique_ptr<Vm> m_vm;
    MemoryLayout m_layout;
    GuestMemory m_memory;
    EventLoop* m_loop; // borrowed
    Bus m_pio { "pio" };
    Bus m_mmio { "mmio" };
    std::vector<std::unique_ptr<VcpuThread>> m_vcpus;
    BootSetup m_boot;                // where the boot vCPU starts (load_guest)
    std::unique_ptr<MachineParts> m_parts; // every device and back end, built by create_devices
    std::optional<uint64_t> m_paused_clock; // kvmclock at pause()
    std::vector<VcpuExitStats> m_exit_baseline; // by vCPU: the counts at reset_exit_profile()
    std::vector<UniqueFd> m_fds;

    std::mutex m_stop_lock;
    bool m_stop_requested = false;
    MachineExit m_exit { StopReason::PowerOff, {} };
};

} // namespace vireo
