#include "monitor/command_table.h"

namespace vireo {

const QmpCommand* CommandTable::find(std::string_view name) const
{
    for (const auto& command : m_commands) {
        if (command.name == name)
            return &command;
    }
    return nullptr;
}

Json CommandTable::command_list() const
{
    Json list = Json::array();
    for (const auto& command : m_commands)
        list.push_back(Json { { "name", command.name } });
    return list;
}

Json CommandTable::schema() const
{
    SchemaBuilder builder;
    for (const auto& command : m_commands)
        builder.add_command(command.name, command.arguments, command.result, command.allow_oob);
    for (const auto& event : m_events)
        builder.add_event(event.name, event.data);
    return builder.take();
}

} // namespace vireo
