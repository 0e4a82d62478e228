#include "monitor/hmp_session.h"

#include <exception>

namespace vireo {

std::string HmpSession::greeting() const
{
    return std::string(k_banner) + std::string(k_prompt);
}

MonitorSession::Status HmpSession::feed(std::string_view bytes, std::string& out)
{
    while (!bytes.empty()) {
        auto edited = m_editor.feed(bytes);
        bytes.remove_prefix(edited.consumed);
        out += edited.echo;
        if (edited.line) {
            out += run(*edited.line);
            out += k_prompt;
        }
    }
    return Status::Ok;
}

std::string HmpSession::run(const std::string& line)
{
    const QmpCommand* command = m_commands.find("human-monitor-command");
    if (!command)
        return "the human monitor has no commands\r\n";
    QmpSessionState state { true, false };
    try {
        auto result = command->handler(Json { { "command-line", line } }, state);
        if (!result)
            return result.error().desc + "\r\n";
        return result->get<std::string>();
    } catch (const std::exception& exception) {
        return fmt::format("internal error: {}\r\n", exception.what());
    }
}

} // namespace vireo
