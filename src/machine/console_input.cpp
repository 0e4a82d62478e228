#include "machine/console_input.h"

#include <unistd.h>

#include <array>

namespace vireo {

Result<std::unique_ptr<ConsoleInput>> ConsoleInput::create(EventLoop& loop, int input_fd, Serial16550& serial,
    Escapes escapes, std::function<void()> quit)
{
    auto drained = TRY(EventFd::create());
    auto input = std::unique_ptr<ConsoleInput>(
        new ConsoleInput(loop, input_fd, serial, escapes, std::move(quit), std::move(drained)));
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
    std::function<void()> quit, EventFd drained)
    : m_loop(loop)
    , m_input_fd(input_fd)
    , m_serial(serial)
    , m_escapes(escapes)
    , m_quit(std::move(quit))
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
    if (m_escapes == Escapes::On) {
        auto filtered = m_filter.feed(typed);
        m_pending.insert(m_pending.end(), filtered.to_guest.begin(), filtered.to_guest.end());
        if (filtered.command == EscapeFilter::Command::Quit) {
            m_quit();
            return;
        }
        if (filtered.command == EscapeFilter::Command::Help) {
            auto help = EscapeFilter::help_text();
            [[maybe_unused]] auto written = ::write(STDOUT_FILENO, help.data(), help.size());
        }
    } else {
        m_pending.insert(m_pending.end(), typed.begin(), typed.end());
    }
    offer();
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
