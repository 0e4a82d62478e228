#include "monitor/exit_profile_commands.h"

#include "monitor/exit_profile_format.h"

namespace vireo {

void register_exit_profile_commands(CommandTable& table, MachineControl& control)
{
    table.add({ "x-vireo-query-exits", schema::empty_object(), exit_profile_type(),
        [&control](const Json&, QmpSessionState&) -> QmpResult { return exit_profile_json(control.exit_profile()); } });
    table.add({ "x-vireo-exits-reset", schema::empty_object(), schema::empty_object(),
        [&control](const Json&, QmpSessionState&) -> QmpResult {
            control.reset_exit_profile();
            return Json::object();
        } });
}

} // namespace vireo
