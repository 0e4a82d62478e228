#pragma once
// One client's side of a monitor, without its socket: bytes in, bytes out. The QMP session and
// the human monitor's session both are one, so one server serves both kinds of monitor.
#include <string>
#include <string_view>

#include "monitor/qmp_json.h"

namespace vireo {

class MonitorSession {
public:
    virtual ~MonitorSession() = default;

    // What the server sends first (QMP's greeting; the human monitor's banner and prompt).
    [[nodiscard]] virtual std::string greeting() const = 0;

    enum class Status { Ok, Drop };
    // Takes bytes from the client and appends what to send back to out. Drop: the server closes
    // the connection once out is sent.
    [[nodiscard]] virtual Status feed(std::string_view bytes, std::string& out) = 0;

    // Events go only to QMP clients past the capabilities negotiation.
    [[nodiscard]] virtual bool wants_events() const = 0;
    // An event as it goes on this session's wire.
    [[nodiscard]] virtual std::string frame(const Json& message) const = 0;
};

} // namespace vireo
