#pragma once
// Vireo's `pc` machine: owns the KVM VM, guest memory, the buses, every device and the threads
// (one per vCPU plus the event loop on the caller's thread). Built from a VmConfig in one place;
// nothing registers itself.
#include <functional>
#include <memory>
#include <mutex>
#include <string>
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

namespace vireo {

struct MachineExit {
    StopReason reason;
    std::string detail;
};

class PcMachine final : public VmControl {
public:
    [[nodiscard]] static Result<std::unique_ptr<PcMachine>> create(const VmConfig& config);
    ~PcMachine() override;

    // Starts the vCPUs and runs the event loop on this thread until the VM stops.
    [[nodiscard]] MachineExit run();

    void request_stop(StopReason reason, std::string detail = {}) override;

private:
    PcMachine(const VmConfig& config, KvmSystem kvm, std::unique_ptr<Vm> vm, MemoryLayout layout,
        GuestMemory memory, std::unique_ptr<EventLoop> loop);

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
    std::unique_ptr<EventLoop> m_loop;
    Bus m_pio { "pio" };
    Bus m_mmio { "mmio" };
    std::vector<std::unique_ptr<VcpuThread>> m_vcpus;
    BootSetup m_boot;                // where the boot vCPU starts (load_guest)
    std::unique_ptr<MachineParts> m_parts; // every device and back end, built by create_devices
    std::vector<UniqueFd> m_fds;

    std::mutex m_stop_lock;
    bool m_stop_requested = false;
    MachineExit m_exit { StopReason::PowerOff, {} };
};

} // namespace vireo
