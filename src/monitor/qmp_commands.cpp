#include "monitor/qmp_commands.h"

#include <cstring>

#include "monitor/exit_profile_commands.h"
#include "monitor/hmp.h"
#include "monitor/qmp_session.h"
#include "monitor/qom_commands.h"

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
    // QEMU 7.2's SetPasswordOptions (a union on protocol); vireo has VNC only. connected= is
    // accepted: the clients already in stay, as QEMU keeps VNC clients for every value.
    table.add({ "set_password",
        object({ { "protocol", enumeration({ "spice", "vnc" }) }, { "password", str() },
            { "connected", enumeration({ "keep", "disconnect", "fail" }), true }, { "display", str(), true } }),
        empty_object(), [&control](const Json& arguments, QmpSessionState&) -> QmpResult {
            if (arguments.at("protocol") != "vnc")
                return qmp_error(QmpErrorClass::GenericError, "spice is not available");
            if (auto set = control.set_vnc_password(arguments.at("password").get<std::string>()); !set)
                return qmp_error(QmpErrorClass::GenericError, "{}", set.error().message);
            return Json::object();
        } });
    table.add({ "human-monitor-command", object({ { "command-line", str() }, { "cpu-index", integer(), true } }),
        str(), [&control](const Json& arguments, QmpSessionState&) -> QmpResult {
            return run_hmp_command(arguments.at("command-line").get<std::string>(), control);
        } });
}

// A block device named by `device` (its backend's name) or `id` (its guest device's id or QOM
// path), as QEMU's qmp_get_blk finds it; `shown` is the name QEMU's messages use for it.
struct BlockTarget {
    BlockDeviceInfo info;
    std::string shown;
};

std::expected<BlockTarget, QmpError> find_block_device(const Json& arguments, const MachineControl& control)
{
    auto device = arguments.find("device");
    auto id = arguments.find("id");
    if ((device == arguments.end()) == (id == arguments.end()))
        return qmp_error(QmpErrorClass::GenericError, "Need exactly one of 'device' and 'id'");
    const auto& wanted = (device != arguments.end() ? *device : *id).get_ref<const std::string&>();
    for (auto& info : control.block_devices()) {
        bool found = device != arguments.end()
            ? info.device == wanted
            : !wanted.empty() && (info.qdev == wanted || info.qdev == "/machine/peripheral/" + wanted);
        if (found)
            return BlockTarget { std::move(info), wanted };
    }
    return qmp_error(QmpErrorClass::DeviceNotFound, "Device '{}' not found", wanted);
}

// The outcome of eject or blockdev-change-medium as QEMU reports it (do_open_tray's messages).
QmpResult medium_reply(const Result<MediumOutcome>& outcome, const BlockTarget& target,
    const std::string& filename = {})
{
    if (!outcome) {
        const auto& error = outcome.error();
        if (error.code != 0 && !filename.empty())
            return qmp_error(QmpErrorClass::GenericError, "Could not open '{}': {}", filename,
                std::strerror(error.code));
        return qmp_error(QmpErrorClass::GenericError, "{}", error.describe());
    }
    switch (*outcome) {
    case MediumOutcome::Done:
        return Json::object();
    case MediumOutcome::NotRemovable:
        return qmp_error(QmpErrorClass::GenericError, "Device '{}' is not removable", target.shown);
    case MediumOutcome::Locked:
        return qmp_error(QmpErrorClass::GenericError,
            "Device '{}' is locked and force was not specified, wait for tray to open and try again", target.shown);
    }
    return Json::object();
}

MediumForce force_of(const Json& arguments)
{
    return arguments.value("force", false) ? MediumForce::Always : MediumForce::IfUnlocked;
}

Json inserted_info(const BlockMedium& medium)
{
    Json image { { "filename", medium.file }, { "format", medium.format }, { "virtual-size", medium.virtual_size } };
    if (!medium.backing_file.empty())
        image["backing-filename"] = medium.backing_file;
    Json inserted { { "file", medium.file }, { "ro", medium.read_only }, { "drv", medium.format } };
    if (!medium.backing_file.empty())
        inserted["backing_file"] = medium.backing_file;
    inserted["backing_file_depth"] = medium.backing_depth;
    inserted["encrypted"] = false;
    inserted["detect_zeroes"] = "off";
    for (const char* limit : { "bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr" })
        inserted[limit] = 0;
    inserted["image"] = std::move(image);
    inserted["cache"] = Json { { "writeback", medium.writeback }, { "direct", medium.direct },
        { "no-flush", medium.no_flush } };
    inserted["write_threshold"] = 0;
    return inserted;
}

Json block_info(const BlockDeviceInfo& info)
{
    Json entry { { "io-status", "ok" }, { "device", info.device }, { "locked", info.locked },
        { "removable", info.removable } };
    if (info.medium)
        entry["inserted"] = inserted_info(*info.medium);
    entry["qdev"] = info.qdev;
    if (info.tray_open)
        entry["tray_open"] = *info.tray_open;
    entry["type"] = "unknown";
    return entry;
}

void register_block(CommandTable& table, MachineControl& control)
{
    auto image_info = object({ { "filename", str() }, { "format", str() }, { "virtual-size", integer() },
        { "backing-filename", str(), true } });
    auto cache_info = object({ { "writeback", boolean() }, { "direct", boolean() }, { "no-flush", boolean() } });
    auto device_info = object({ { "file", str() }, { "ro", boolean() }, { "drv", str() },
        { "backing_file", str(), true }, { "backing_file_depth", integer() }, { "encrypted", boolean() },
        { "detect_zeroes", enumeration({ "off", "on", "unmap" }) }, { "bps", integer() }, { "bps_rd", integer() },
        { "bps_wr", integer() }, { "iops", integer() }, { "iops_rd", integer() }, { "iops_wr", integer() },
        { "image", image_info }, { "cache", cache_info }, { "write_threshold", integer() } });
    auto info = object({ { "device", str() }, { "qdev", str(), true }, { "type", str() },
        { "removable", boolean() }, { "locked", boolean() }, { "tray_open", boolean(), true },
        { "io-status", enumeration({ "ok", "failed", "nospace" }), true }, { "inserted", device_info, true } });
    table.add({ "query-block", empty_object(), array(info),
        [&control](const Json&, QmpSessionState&) -> QmpResult {
            Json list = Json::array();
            for (const auto& device : control.block_devices())
                list.push_back(block_info(device));
            return list;
        } });
    table.add({ "eject",
        object({ { "device", str(), true }, { "id", str(), true }, { "force", boolean(), true } }), empty_object(),
        [&control](const Json& arguments, QmpSessionState&) -> QmpResult {
            auto target = find_block_device(arguments, control);
            if (!target)
                return std::unexpected(target.error());
            return medium_reply(control.eject_medium(target->info.device, force_of(arguments)), *target);
        } });
    auto read_only_mode = enumeration({ "retain", "read-only", "read-write" });
    table.add({ "blockdev-change-medium",
        object({ { "device", str(), true }, { "id", str(), true }, { "filename", str() }, { "format", str(), true },
            { "read-only-mode", read_only_mode, true }, { "force", boolean(), true } }),
        empty_object(), [&control](const Json& arguments, QmpSessionState&) -> QmpResult {
            auto target = find_block_device(arguments, control);
            if (!target)
                return std::unexpected(target.error());
            MediumChange change;
            change.file = arguments.at("filename").get<std::string>();
            change.format = arguments.value("format", std::string());
            auto mode = arguments.value("read-only-mode", std::string("retain"));
            change.read_only = mode == "read-only" ? ReadOnlyMode::ReadOnly
                : mode == "read-write"             ? ReadOnlyMode::ReadWrite
                                                   : ReadOnlyMode::Retain;
            return medium_reply(control.change_medium(target->info.device, change, force_of(arguments)), *target,
                change.file);
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
    table.add_event(
        { "DEVICE_TRAY_MOVED", object({ { "device", str() }, { "id", str() }, { "tray-open", boolean() } }) });
}

} // namespace

void register_qmp_commands(CommandTable& table, MachineControl& control)
{
    Types types;
    register_protocol_commands(table, types);
    register_queries(table, control, types);
    register_lifecycle(table, control);
    register_block(table, control);
    register_exit_profile_commands(table, control);
    register_qom_commands(table);
    register_events(table, types);
}

Json device_tray_moved_data(std::string_view device, std::string_view id, bool open)
{
    return Json { { "device", device }, { "id", id }, { "tray-open", open } };
}

} // namespace vireo
