#pragma once
// The human monitor on the terminal: -monitor stdio (it reads stdin itself) or muxed with the
// serial console (-nographic, mon:stdio: the console reads stdin and hands it what is typed
// while it has the focus). Its output goes to stdout. Event-loop thread only.
#include <memory>
#include <span>

#include "base/event_loop.h"
#include "base/result.h"
#include "char/console_monitor.h"
#include "monitor/hmp_session.h"

namespace vireo {

class StdioMonitor final : public ConsoleMonitor {
public:
    enum class Input { OwnStdin, FromConsole };

    [[nodiscard]] static Result<std::unique_ptr<StdioMonitor>> create(EventLoop& loop, const CommandTable& commands,
        Input input, int input_fd, int output_fd);
    ~StdioMonitor() override;
    StdioMonitor(const StdioMonitor&) = delete;
    StdioMonitor& operator=(const StdioMonitor&) = delete;

    void switch_focus() override;
    [[nodiscard]] bool has_focus() const override { return m_focus; }
    [[nodiscard]] bool shares_console() const { return m_input == Input::FromConsole; }
    void type(std::span<const uint8_t> bytes) override;

private:
    StdioMonitor(EventLoop& loop, const CommandTable& commands, Input input, int input_fd, int output_fd)
        : m_loop(loop)
        , m_session(commands)
        , m_input(input)
        , m_input_fd(input_fd)
        , m_output_fd(output_fd)
    {
    }
    void on_readable();
    void write_out(std::string_view text);

    EventLoop& m_loop;
    HmpSession m_session;
    Input m_input;
    int m_input_fd;
    int m_output_fd;
    bool m_focus = false;
    bool m_greeted = false;
    bool m_watching = false;
};

} // namespace vireo
