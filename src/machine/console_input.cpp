#include "machine/console_input.h"

#include <unistd.h>

#include <array>

namespace vireo {

Result<std::unique_ptr<ConsoleInput>> ConsoleInput::create(EventLoop& loop, int input_fd, Serial16550& serial,
    Escapes escapes, std::function<void()> quit, ConsoleMonitor* monitor)
{
    auto drained = TRY(EventFd::create());
    auto input = std::unique_ptr<ConsoleInput>(
        new ConsoleInput(loop, input_fd, serial, escapes, std::move(quit), monitor, std::move(drained)));
    ConsoleInput* self = input.get();
    TRY(loop.add(self->m_drained.fd(), EPOLLIN, [self](uint32_t) {
        self->m_drained.consume();
        self->offer();
    }));
    serial.set_rx_drained_callback([self] { self->m_drained.signal(); });
    self->watch_input(true);
    return input;
}

ConsoleInput::ConsoleInput(EventLoop& loop, int input_fd, Serial16550& serial, Escapes escapes,
    std::function<void()> quit, ConsoleMonitor* monitor, EventFd drained)
    : m_loop(loop)
    , m_input_fd(input_fd)
    , m_serial(serial)
    , m_escapes(escapes)
    , m_quit(std::move(quit))
    , m_monitor(monitor)
    , m_drained(std::move(drained))
{
}

ConsoleInput::~ConsoleInput()
{
    m_serial.set_rx_drained_callback({});
    watch_input(false);
    m_loop.remove(m_drained.fd());
}

void ConsoleInput::watch_input(bool on)
{
    if (on == m_watching || m_eof)
        return;
    if (on) {
        // A stdin that epoll cannot watch (a regular file, /dev/null) simply gives no input.
        if (!m_loop.add(m_input_fd, EPOLLIN, [this](uint32_t) { on_readable(); }))
            return;
    } else {
        m_loop.remove(m_input_fd);
    }
    m_watching = on;
}

void ConsoleInput::on_readable()
{
    std::array<uint8_t, 256> buffer;
    ssize_t count = ::read(m_input_fd, buffer.data(), buffer.size());
    if (count <= 0) {
        if (count < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        watch_input(false); // end of input: the guest keeps running, as with QEMU
        m_eof = true;
        return;
    }
    std::span<const uint8_t> typed(buffer.data(), static_cast<size_t>(count));
    if (m_escapes == Escapes::Off) {
        m_pending.insert(m_pending.end(), typed.begin(), typed.end());
        offer();
        return;
    }
    while (!typed.empty()) {
        auto filtered = m_filter.feed(typed);
        typed = typed.subspan(filtered.consumed);
        route(filtered.to_guest);
        switch (filtered.command) {
        case EscapeFilter::Command::Quit:
            m_quit();
            return;
        case EscapeFilter::Command::Help: {
            auto help = EscapeFilter::help_text();
            [[maybe_unused]] auto written = ::write(STDOUT_FILENO, help.data(), help.size());
            break;
        }
        case EscapeFilter::Command::SwitchFocus:
            if (m_monitor)
                m_monitor->switch_focus();
            break;
        case EscapeFilter::Command::None:
            break;
        }
    }
    offer();
}

void ConsoleInput::route(std::span<const uint8_t> bytes)
{
    if (bytes.empty())
        return;
    if (m_monitor && m_monitor->has_focus())
        m_monitor->type(bytes);
    else
        m_pending.insert(m_pending.end(), bytes.begin(), bytes.end());
}

void ConsoleInput::offer()
{
    if (!m_pending.empty()) {
        size_t accepted = m_serial.push_input(m_pending);
        m_pending.erase(m_pending.begin(), m_pending.begin() + static_cast<ptrdiff_t>(accepted));
    }
    // Read more only when everything typed so far is in the UART.
    watch_input(m_pending.empty());
}

} // namespace vireo
