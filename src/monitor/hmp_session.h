#pragma once
// One client of a human monitor (-monitor, -mon mode=readline): QEMU 7.2's banner and
// "(qemu) " prompt, line editing (LineEditor), and each line run through the command table's
// human-monitor-command, so QMP's way in and this one run the same command code.
#include <string>
#include <string_view>

#include "monitor/command_table.h"
#include "monitor/line_editor.h"
#include "monitor/monitor_session.h"

namespace vireo {

class HmpSession final : public MonitorSession {
public:
    static constexpr std::string_view k_banner = "QEMU 7.2.0 monitor - type 'help' for more information\r\n";
    static constexpr std::string_view k_prompt = "(qemu) ";

    explicit HmpSession(const CommandTable& commands)
        : m_commands(commands)
    {
    }

    [[nodiscard]] std::string greeting() const override;
    [[nodiscard]] Status feed(std::string_view bytes, std::string& out) override;
    [[nodiscard]] bool wants_events() const override { return false; }
    [[nodiscard]] std::string frame(const Json&) const override { return {}; }

private:
    [[nodiscard]] std::string run(const std::string& line);

    const CommandTable& m_commands;
    LineEditor m_editor;
};

} // namespace vireo
