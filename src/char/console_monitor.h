#pragma once
// The human monitor as the serial console sees it when the two share stdio (mon:stdio,
// -nographic): Ctrl-A c hands the terminal to it and back. It outlives each machine (a reset
// builds the console again; the monitor and its focus stay).
#include <cstdint>
#include <span>

namespace vireo {

class ConsoleMonitor {
public:
    virtual ~ConsoleMonitor() = default;
    // Ctrl-A c: the terminal goes to the monitor (its banner and prompt the first time), or
    // back to the guest's console.
    virtual void switch_focus() = 0;
    [[nodiscard]] virtual bool has_focus() const = 0;
    // What the user typed while the monitor has the terminal.
    virtual void type(std::span<const uint8_t> bytes) = 0;
};

} // namespace vireo
