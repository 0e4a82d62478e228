#include "monitor/qmp_commands.h"

#include "monitor/hmp.h"
#include "monitor/qmp_session.h"

namespace vireo {

namespace {

using schema::array;
using schema::boolean;
using schema::empty_object;
using schema::enumeration;
using schema::integer;
using schema::object;
using schema::str;

// QAPI types shared by several commands and events.
struct Types {
    TypeRef run_state = enumeration({ "debug", "inmigrate", "internal-error", "io-error", "paused", "postmigrate",
        "prelaunch", "finish-migrate", "restore-vm", "running", "save-vm", "shutdown", "suspended", "watchdog",
        "guest-panicked", "colo" });
    TypeRef shutdown_cause = enumeration({ "none", "host-error", "host-qmp-quit", "host-qmp-system-reset",
        "host-signal", "host-ui", "guest-shutdown", "guest-reset", "guest-panic", "subsystem-reset",
        "snapshot-load" });
    TypeRef target = enumeration({ "x86_64" }); // SysEmuTarget: the one vireo is
    TypeRef version_triple = object({ { "major", integer() }, { "minor", integer() }, { "micro", integer() } });
    TypeRef version_info = object({ { "qemu", version_triple }, { "package", str() } });
};

// The options vireo reads as key=value lists, for query-command-line-options: a short, honest
// list (libvirt only needs the query to answer).
struct OptionInfo {
    const char* option;
    std::vector<std::pair<const char*, const char*>> parameters; // name, type
};

const std::vector<OptionInfo>& command_line_options()
{
    static const std::vector<OptionInfo> options {
        { "machine", { { "type", "string" }, { "accel", "string" }, { "usb", "boolean" } } },
        { "smp-opts",
            { { "cpus", "number" }, { "sockets", "number" }, { "dies", "number" }, { "clusters", "number" },
                { "cores", "number" }, { "threads", "number" }, { "maxcpus", "number" } } },
        { "memory", { { "size", "size" } } },
        { "name", { { "guest", "string" }, { "process", "string" }, { "debug-threads", "boolean" } } },
        { "drive",
            { { "file", "string" }, { "format", "string" }, { "if", "string" }, { "id", "string" },
                { "index", "number" }, { "readonly", "boolean" }, { "snapshot", "boolean" }, { "cache", "string" },
                { "aio", "string" }, { "discard", "string" }, { "media", "string" } } },
        { "mon", { { "mode", "string" }, { "chardev", "string" }, { "pretty", "boolean" } } },
    };
    return options;
}

Json option_info(const OptionInfo& option)
{
    Json parameters = Json::array();
    for (const auto& [name, type] : option.parameters)
        parameters.push_back(Json { { "name", name }, { "type", type } });
    return Json { { "parameters", std::move(parameters) }, { "option", option.option } };
}

void register_protocol_commands(CommandTable& table, const Types& types)
{
    table.add({ "qmp_capabilities",
        object({ { "enable", array(enumeration({ "oob" })), true } }),
        empty_object(),
        [](const Json& arguments, QmpSessionState& session) -> QmpResult {
            session.negotiated = true;
            if (auto enable = arguments.find("enable"); enable != arguments.end()) {
                for (const auto& capability : *enable)
                    session.oob = session.oob || capability == "oob";
            }
            return Json::object();
        } });
    table.add({ "query-version", empty_object(), types.version_info,
        [](const Json&, QmpSessionState&) -> QmpResult { return qmp_version_info(); } });
    table.add({ "query-commands", empty_object(), array(object({ { "name", str() } })),
        [&table](const Json&, QmpSessionState&) -> QmpResult { return table.command_list(); } });
    // SchemaInfo is a union on meta-type; its members are described as one object with the
    // variant members optional, which is what a reader of the reply needs.
    auto schema_info = object({ { "name", str() }, { "meta-type", str() }, { "features", array(str()), true },
        { "json-type", str(), true }, { "members", array(schema::any()), true }, { "values", array(str()), true },
        { "element-type", str(), true }, { "arg-type", str(), true }, { "ret-type", str(), true },
        { "allow-oob", boolean(), true } });
    table.add({ "query-qmp-schema", empty_object(), array(schema_info),
        [&table](const Json&, QmpSessionState&) -> QmpResult { return table.schema(); } });
}

void register_queries(CommandTable& table, MachineControl& control, const Types& types)
{
    table.add({ "query-status", empty_object(),
        object({ { "running", boolean() }, { "singlestep", boolean() }, { "status", types.run_state } }),
        [&control](const Json&, QmpSessionState&) -> QmpResult {
            auto state = control.run_state();
            return Json { { "status", run_state_name(state) }, { "singlestep", false },
                { "running", state == RunState::Running } };
        } });
    table.add({ "query-name", empty_object(), object({ { "name", str(), true } }),
        [&control](const Json&, QmpSessionState&) -> QmpResult {
            auto name = control.name();
            return name.empty() ? Json::object() : Json { { "name", name } };
        } });
    table.add({ "query-uuid", empty_object(), object({ { "UUID", str() } }),
        [&control](const Json&, QmpSessionState&) -> QmpResult { return Json { { "UUID", control.uuid() } }; } });
    table.add({ "query-kvm", empty_object(), object({ { "enabled", boolean() }, { "present", boolean() } }),
        [](const Json&, QmpSessionState&) -> QmpResult { return Json { { "enabled", true }, { "present", true } }; } });
    table.add({ "query-target", empty_object(), object({ { "arch", types.target } }),
        [](const Json&, QmpSessionState&) -> QmpResult { return Json { { "arch", "x86_64" } }; } });
    auto machine_info = object({ { "name", str() }, { "alias", str(), true }, { "is-default", boolean(), true },
        { "cpu-max", integer() }, { "hotpluggable-cpus", boolean() }, { "numa-mem-supported", boolean() },
        { "deprecated", boolean() }, { "default-cpu-type", str(), true }, { "default-ram-id", str(), true } });
    table.add({ "query-machines", empty_object(), array(machine_info),
        [](const Json&, QmpSessionState&) -> QmpResult {
            // One machine type: pc, which answers to QEMU's versioned names too.
            return Json::array({ Json { { "name", "pc-i440fx-7.2" }, { "alias", "pc" }, { "is-default", true },
                { "cpu-max", 255 }, { "hotpluggable-cpus", false }, { "numa-mem-supported", false },
                { "deprecated", false }, { "default-cpu-type", "host-x86_64-cpu" }, { "default-ram-id", "pc.ram" } } });
        } });
    auto cpu_props = object({ { "node-id", integer(), true }, { "socket-id", integer(), true },
        { "die-id", integer(), true }, { "cluster-id", integer(), true }, { "core-id", integer(), true },
        { "thread-id", integer(), true } });
    auto cpu_info = object({ { "cpu-index", integer() }, { "qom-path", str() }, { "thread-id", integer() },
        { "props", cpu_props, true }, { "target", types.target } });
    table.add({ "query-cpus-fast", empty_object(), array(cpu_info),
        [&control](const Json&, QmpSessionState&) -> QmpResult {
            Json list = Json::array();
            for (const auto& vcpu : control.vcpus()) {
                list.push_back(Json { { "thread-id", vcpu.thread_id },
                    { "props",
                        Json { { "core-id", vcpu.core_id }, { "thread-id", vcpu.thread_in_core },
                            { "socket-id", vcpu.socket_id } } },
                    { "qom-path", fmt::format("/machine/unattached/device[{}]", vcpu.index) }, { "target", "x86_64" },
                    { "cpu-index", vcpu.index } });
            }
            return list;
        } });
    table.add({ "query-memory-size-summary", empty_object(),
        object({ { "base-memory", integer() }, { "plugged-memory", integer(), true } }),
        [&control](const Json&, QmpSessionState&) -> QmpResult {
            return Json { { "base-memory", control.memory_bytes() }, { "plugged-memory", 0 } };
        } });
    auto parameter_info = object({ { "name", str() },
        { "type", enumeration({ "string", "boolean", "number", "size" }) }, { "help", str(), true },
        { "default", str(), true } });
    table.add({ "query-command-line-options", object({ { "option", str(), true } }),
        array(object({ { "option", str() }, { "parameters", array(parameter_info) } })),
        [](const Json& arguments, QmpSessionState&) -> QmpResult {
            Json list = Json::array();
            auto wanted = arguments.find("option");
            for (const auto& option : command_line_options()) {
                if (wanted == arguments.end() || *wanted == option.option)
                    list.push_back(option_info(option));
            }
            if (wanted != arguments.end() && list.empty())
                return qmp_error(QmpErrorClass::GenericError, "invalid option name: {}", wanted->get<std::string>());
            return list;
        } });
    // No migration: no capability to report.
    table.add({ "query-migrate-capabilities", empty_object(),
        array(object({ { "capability", str() }, { "state", boolean() } })),
        [](const Json&, QmpSessionState&) -> QmpResult { return Json::array(); } });
    table.add({ "query-chardev", empty_object(),
        array(object({ { "label", str() }, { "filename", str() }, { "frontend-open", boolean() } })),
        [&control](const Json&, QmpSessionState&) -> QmpResult {
            Json list = Json::array();
            for (const auto& chardev : control.chardevs())
                list.push_back(Json { { "frontend-open", chardev.frontend_open }, { "filename", chardev.filename },
                    { "label", chardev.label } });
            return list;
        } });
}

void register_lifecycle(CommandTable& table, MachineControl& control)
{
    auto simple = [&](const char* name, std::function<void()> action) {
        table.add({ name, empty_object(), empty_object(), [action](const Json&, QmpSessionState&) -> QmpResult {
                       action();
                       return Json::object();
                   } });
    };
    simple("stop", [&control] { control.pause(); });
    table.add({ "cont", empty_object(), empty_object(), [&control](const Json&, QmpSessionState&) -> QmpResult {
                   if (auto resumed = control.resume(); !resumed)
                       return qmp_error(QmpErrorClass::GenericError, "{}", resumed.error().message);
                   return Json::object();
               } });
    simple("system_reset", [&control] { control.reset(); });
    simple("system_powerdown", [&control] { control.press_power_button(); });
    simple("quit", [&control] { control.quit(); });
    table.add({ "human-monitor-command", object({ { "command-line", str() }, { "cpu-index", integer(), true } }),
        str(), [&control](const Json& arguments, QmpSessionState&) -> QmpResult {
            return run_hmp_command(arguments.at("command-line").get<std::string>(), control);
        } });
}

void register_events(CommandTable& table, const Types& types)
{
    auto cause = object({ { "guest", boolean() }, { "reason", types.shutdown_cause } });
    table.add_event({ "SHUTDOWN", cause });
    table.add_event({ "RESET", cause });
    table.add_event({ "POWERDOWN", empty_object() });
    table.add_event({ "STOP", empty_object() });
    table.add_event({ "RESUME", empty_object() });
}

} // namespace

void register_qmp_commands(CommandTable& table, MachineControl& control)
{
    Types types;
    register_protocol_commands(table, types);
    register_queries(table, control, types);
    register_lifecycle(table, control);
    register_events(table, types);
}

} // namespace vireo
