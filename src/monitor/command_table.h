#pragma once
// The monitor's commands as a table: one entry per command (name, argument type, result type,
// handler), plus the events it can send. query-commands and query-qmp-schema are generated
// from it, so what the monitor advertises is what it has.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/qmp_json.h"
#include "monitor/qmp_schema.h"

namespace vireo {

// What a command may change in the client's session (qmp_capabilities does).
struct QmpSessionState {
    bool negotiated = false; // qmp_capabilities done: commands accepted, events sent
    bool oob = false;        // out-of-band execution enabled by qmp_capabilities
};

struct QmpCommand {
    using Handler = std::function<QmpResult(const Json& arguments, QmpSessionState& session)>;
    std::string name;
    TypeRef arguments;  // an object type; its members are checked before the handler runs
    TypeRef result;
    Handler handler;
    bool allow_oob = false;
};

struct QmpEvent {
    std::string name;
    TypeRef data; // an object type (empty: the event has no "data")
};

class CommandTable {
public:
    void add(QmpCommand command) { m_commands.push_back(std::move(command)); }
    void add_event(QmpEvent event) { m_events.push_back(std::move(event)); }

    [[nodiscard]] const QmpCommand* find(std::string_view name) const;
    [[nodiscard]] const std::vector<QmpCommand>& commands() const { return m_commands; }

    // query-commands: [{"name": ...}, ...]
    [[nodiscard]] Json command_list() const;
    // query-qmp-schema: the SchemaInfo array of every command and event.
    [[nodiscard]] Json schema() const;

private:
    std::vector<QmpCommand> m_commands;
    std::vector<QmpEvent> m_events;
};

} // namespace vireo
