#include "monitor/stdio_monitor.h"

#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace vireo {

Result<std::unique_ptr<StdioMonitor>> StdioMonitor::create(EventLoop& loop, const CommandTable& commands, Input input,
    int input_fd, int output_fd)
{
    auto monitor = std::unique_ptr<StdioMonitor>(new StdioMonitor(loop, commands, input, input_fd, output_fd));
    if (input == Input::OwnStdin) {
        // The monitor has the terminal from the start, as QEMU's -monitor stdio.
        monitor->switch_focus();
        // A stdin epoll cannot watch (a regular file, /dev/null) gives no input: no monitor then.
        auto* raw = monitor.get();
        if (loop.add(input_fd, EPOLLIN, [raw](uint32_t) { raw->on_readable(); }))
            monitor->m_watching = true;
    }
    return monitor;
}

StdioMonitor::~StdioMonitor()
{
    if (m_watching)
        m_loop.remove(m_input_fd);
}

void StdioMonitor::switch_focus()
{
    m_focus = !m_focus;
    if (!m_focus)
        return;
    if (!m_greeted) {
        m_greeted = true;
        write_out(m_session.greeting());
    } else {
        write_out(HmpSession::k_prompt);
    }
}

void StdioMonitor::type(std::span<const uint8_t> bytes)
{
    std::string out;
    // The human monitor never asks to drop its client.
    (void)m_session.feed(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), out);
    write_out(out);
}

void StdioMonitor::on_readable()
{
    std::array<uint8_t, 4096> buffer;
    ssize_t count = ::read(m_input_fd, buffer.data(), buffer.size());
    if (count < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (count <= 0) {
        // End of input: the VM runs on without a monitor, as QEMU's.
        m_loop.remove(m_input_fd);
        m_watching = false;
        return;
    }
    type(std::span(buffer.data(), static_cast<size_t>(count)));
}

// The terminal is the user's: a short wait when it is full, never a lost answer. Output that
// cannot go out after a second is dropped rather than stall the loop.
void StdioMonitor::write_out(std::string_view text)
{
    int waited_ms = 0;
    while (!text.empty()) {
        ssize_t written = ::write(m_output_fd, text.data(), text.size());
        if (written > 0) {
            text.remove_prefix(static_cast<size_t>(written));
            continue;
        }
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0 && errno == EAGAIN && waited_ms < 1000) {
            pollfd wait { m_output_fd, POLLOUT, 0 };
            ::poll(&wait, 1, 10);
            waited_ms += 10;
            continue;
        }
        return;
    }
}

} // namespace vireo
