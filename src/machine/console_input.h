#pragma once
// Feeds the host's terminal (stdin) into the guest's UART from the event loop, with QEMU's
// Ctrl-A escapes when the console is multiplexed; then Ctrl-A c hands what is typed to the
// human monitor sharing the terminal, if there is one, and back. Typed bytes are never dropped: when the
// UART's FIFO is full, reading stops until the UART says it drained (a vCPU thread signals
// an eventfd; the loop re-offers what it holds).
#include <functional>
#include <vector>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "char/console_monitor.h"
#include "char/escape_filter.h"
#include "devices/legacy/serial_16550.h"

namespace vireo {

class ConsoleInput {
public:
    enum class Escapes { On, Off };

    [[nodiscard]] static Result<std::unique_ptr<ConsoleInput>> create(EventLoop& loop, int input_fd,
        Serial16550& serial, Escapes escapes, std::function<void()> quit, ConsoleMonitor* monitor = nullptr);
    ~ConsoleInput();

private:
    ConsoleInput(EventLoop& loop, int input_fd, Serial16550& serial, Escapes escapes, std::function<void()> quit,
        ConsoleMonitor* monitor, EventFd drained);
    // Typed bytes past the escapes: to the monitor when it has the terminal, else the UART.
    void route(std::span<const uint8_t> bytes);
    void on_readable();
    void offer();
    void watch_input(bool on);

    EventLoop& m_loop;
    int m_input_fd;
    Serial16550& m_serial;
    Escapes m_escapes;
    std::function<void()> m_quit;
    ConsoleMonitor* m_monitor;
    EventFd m_drained;
    EscapeFilter m_filter;
    std::vector<uint8_t> m_pending;
    bool m_watching = false;
    bool m_eof = false;
};

} // namespace vireo
