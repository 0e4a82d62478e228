#pragma once
// How a running VM asks to stop: devices and vCPU threads call request_stop from any thread;
// the first request wins and the machine's event loop winds everything down.
#include <string>

namespace vireo {

// Reset: the guest asked for one (reset register, keyboard controller, port 0x92). Crash: a
// triple fault, which resets the machine too but is worth telling the user about.
enum class StopReason { PowerOff, Reset, Crash, Quit, Signal, Error };

class VmControl {
public:
    virtual ~VmControl() = default;
    virtual void request_stop(StopReason reason, std::string detail = {}) = 0;
};

} // namespace vireo
