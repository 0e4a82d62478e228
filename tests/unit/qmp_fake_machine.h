#pragma once
// A MachineControl for monitor tests: records what the commands asked and plays a run state
// machine like the VM lifecycle's, with the events it would send.
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

    RunState state = RunState::Running;
    std::string vm_name;
    std::vector<std::string> calls;
    std::vector<std::string> events;
};

} // namespace vireo
