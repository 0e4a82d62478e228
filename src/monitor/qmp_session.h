#pragma once
// One QMP client's side of the protocol (QEMU's docs/interop/qmp-spec), without its socket:
// bytes in, reply lines out. It frames the stream (JsonStreamReader), checks each request's
// envelope, holds the capabilities negotiation (every command but qmp_capabilities is
// CommandNotFound until it is done) and runs commands from the table, echoing "id".
// Every message out is one JSON object ended by CRLF (indented under pretty=on).
#include <string>
#include <string_view>

#include "monitor/command_table.h"
#include "monitor/json_stream.h"
#include "monitor/monitor_session.h"

namespace vireo {

enum class QmpStyle { Compact, Pretty };

class QmpSession final : public MonitorSession {
public:
    QmpSession(const CommandTable& commands, QmpStyle style, size_t message_limit = JsonStreamReader::k_default_limit)
        : m_commands(commands)
        , m_style(style)
        , m_reader(message_limit)
    {
    }

    // The greeting the server sends first.
    [[nodiscard]] std::string greeting() const override;

    // Takes bytes from the client and appends what to send back to out. Drop: the client sent a
    // message larger than the limit; out then ends with an error saying so, and the server
    // closes the connection after sending it.
    [[nodiscard]] Status feed(std::string_view bytes, std::string& out) override;

    // Runs one request (a parsed message) and returns its reply.
    [[nodiscard]] Json handle(const Json& request);

    // A message as it goes on the wire: JSON and CRLF.
    [[nodiscard]] std::string frame(const Json& message) const override;

    // Events go only to clients past the negotiation.
    [[nodiscard]] bool negotiated() const { return m_state.negotiated; }
    [[nodiscard]] bool wants_events() const override { return negotiated(); }

private:
    const CommandTable& m_commands;
    QmpStyle m_style;
    JsonStreamReader m_reader;
    QmpSessionState m_state;
};

// The greeting's and query-version's version: the QEMU release whose QMP vireo speaks.
[[nodiscard]] Json qmp_version_info();

} // namespace vireo
