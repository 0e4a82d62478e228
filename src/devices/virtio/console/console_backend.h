#pragma once
// Where a console's guest output goes (stdio, a file, a socket). The integrator implements it
// over a chardev; input travels the other way through VirtioConsole::push_input().
#include <cstdint>
#include <span>

namespace vireo {

class ConsoleBackend {
public:
    virtual ~ConsoleBackend() = default;
    // Bytes the guest wrote to its console (/dev/hvc0). Called on the event-loop thread; must
    // not block for long (drop or buffer if the sink is slow).
    virtual void write(std::span<const uint8_t> bytes) = 0;
};

} // namespace vireo
