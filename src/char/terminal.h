#pragma once
// Puts a terminal in raw mode for the lifetime of the object and restores it on every exit
// path that runs destructors (normal exit, errors, SIGINT/SIGTERM handled by the event loop).
#include <termios.h>

namespace vireo {

class RawTerminal {
public:
    enum class Signals { Keep, ToGuest };
    // Does nothing when fd is not a terminal. With Signals::Keep, Ctrl-C still interrupts vireo
    // (QEMU's plain `-serial stdio`); with ToGuest every key reaches the guest (-nographic).
    explicit RawTerminal(int fd, Signals signals = Signals::ToGuest);
    ~RawTerminal();
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

    [[nodiscard]] bool active() const { return m_active; }

private:
    int m_fd;
    bool m_active = false;
    termios m_saved {};
};

} // namespace vireo
