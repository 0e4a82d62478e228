#pragma once
// What the monitor may ask of the machine: a narrow interface that the VM's lifecycle
// implements (machine/vm_lifecycle) and unit tests fake. Handlers never reach a device.
// Every call comes from the event loop's thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

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
};

} // namespace vireo
