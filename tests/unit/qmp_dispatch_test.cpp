// The QMP session and the command table against a fake machine: negotiation, the envelope's
// errors, argument checks, and the reply shape of every command (QEMU 7.2's).
#include <gtest/gtest.h>

#include "monitor/hmp.h"
#include "monitor/qmp_commands.h"
#include "monitor/qmp_session.h"
#include "qmp_fake_machine.h"

namespace vireo {
namespace {

class QmpDispatch : public testing::Test {
protected:
    QmpDispatch() { register_qmp_commands(m_table, m_machine); }

    Json run(const Json& request) { return m_session.handle(request); }
    Json execute(const std::string& command, Json arguments = nullptr)
    {
        Json request { { "execute", command } };
        if (!arguments.is_null())
            request["arguments"] = std::move(arguments);
        return run(request);
    }
    void negotiate() { ASSERT_EQ(execute("qmp_capabilities"), (Json { { "return", Json::object() } })); }
    static void expect_error(const Json& reply, const std::string& error_class, const std::string& desc)
    {
        ASSERT_TRUE(reply.contains("error")) << reply.dump();
        EXPECT_EQ(reply["error"]["class"], error_class);
        EXPECT_EQ(reply["error"]["desc"], desc);
    }

    FakeMachineControl m_machine;
    CommandTable m_table;
    QmpSession m_session { m_table, QmpStyle::Compact };
};

TEST_F(QmpDispatch, GreetingIsQemu72)
{
    auto greeting = m_session.greeting();
    ASSERT_TRUE(greeting.ends_with("}\r\n"));
    EXPECT_EQ(greeting.find('\n'), greeting.size() - 1); // one line
    auto json = Json::parse(greeting);
    EXPECT_EQ(json["QMP"]["version"]["qemu"], (Json { { "micro", 0 }, { "minor", 2 }, { "major", 7 } }));
    EXPECT_TRUE(json["QMP"]["version"]["package"].get<std::string>().starts_with("vireo "));
    EXPECT_EQ(json["QMP"]["capabilities"], Json::array({ "oob" }));
}

TEST_F(QmpDispatch, CommandsBeforeNegotiationAreNotFound)
{
    expect_error(execute("query-status"), "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
    negotiate();
    expect_error(execute("qmp_capabilities"), "CommandNotFound",
        "Capabilities negotiation is already complete, command ignored");
    EXPECT_TRUE(execute("query-status").contains("return"));
}

TEST_F(QmpDispatch, IdIsEchoedWhateverItsType)
{
    negotiate();
    for (Json id : { Json("abc"), Json(7), Json { { "a", Json::array({ 1, 2 }) } } }) {
        auto reply = run(Json { { "execute", "query-kvm" }, { "id", id } });
        EXPECT_EQ(reply["id"], id);
        auto error = run(Json { { "execute", "nope" }, { "id", id } });
        EXPECT_EQ(error["id"], id);
    }
    EXPECT_FALSE(execute("query-kvm").contains("id"));
}

TEST_F(QmpDispatch, EnvelopeErrors)
{
    negotiate();
    expect_error(run(Json::array()), "GenericError", "QMP input must be a JSON object");
    expect_error(run(Json::object()), "GenericError", "QMP input lacks member 'execute'");
    expect_error(run(Json { { "execute", 1 } }), "GenericError", "QMP input member 'execute' must be a string");
    expect_error(run(Json { { "execute", "stop" }, { "arguments", 1 } }), "GenericError",
        "QMP input member 'arguments' must be an object");
    expect_error(run(Json { { "execute", "stop" }, { "extra", 1 } }), "GenericError",
        "QMP input member 'extra' is unexpected");
    expect_error(execute("query-nothing"), "CommandNotFound", "The command query-nothing has not been found");
    expect_error(run(Json { { "exec-oob", "query-status" } }), "GenericError",
        "Please enable out-of-band first for the session during capabilities negotiation");
}

TEST_F(QmpDispatch, OutOfBandOnlyForCommandsThatAllowIt)
{
    ASSERT_TRUE(execute("qmp_capabilities", Json { { "enable", Json::array({ "oob" }) } }).contains("return"));
    expect_error(run(Json { { "exec-oob", "query-status" } }), "GenericError",
        "The command query-status does not support OOB");
}

TEST_F(QmpDispatch, ArgumentErrorsAreQemus)
{
    negotiate();
    expect_error(execute("query-status", Json { { "x", 1 } }), "GenericError", "Parameter 'x' is unexpected");
    expect_error(execute("human-monitor-command", Json::object()), "GenericError",
        "Parameter 'command-line' is missing");
    expect_error(execute("human-monitor-command", Json { { "command-line", 5 } }), "GenericError",
        "Invalid parameter type for 'command-line', expected: string");
    expect_error(execute("human-monitor-command", Json { { "command-line", "help" }, { "cpu-index", "0" } }),
        "GenericError", "Invalid parameter type for 'cpu-index', expected: integer");
    auto bad_capability = QmpSession(m_table, QmpStyle::Compact)
                              .handle(Json { { "execute", "qmp_capabilities" },
                                  { "arguments", Json { { "enable", Json::array({ "bogus" }) } } } });
    expect_error(bad_capability, "GenericError", "Parameter 'enable[0]' does not accept value 'bogus'");
}

TEST_F(QmpDispatch, QueryShapes)
{
    negotiate();
    m_machine.vm_name = "vm1";
    EXPECT_EQ(execute("query-status")["return"],
        (Json { { "status", "running" }, { "singlestep", false }, { "running", true } }));
    EXPECT_EQ(execute("query-name")["return"], (Json { { "name", "vm1" } }));
    m_machine.vm_name.clear();
    EXPECT_EQ(execute("query-name")["return"], Json::object());
    EXPECT_EQ(execute("query-uuid")["return"], (Json { { "UUID", "00000000-0000-0000-0000-000000000000" } }));
    EXPECT_EQ(execute("query-kvm")["return"], (Json { { "enabled", true }, { "present", true } }));
    EXPECT_EQ(execute("query-target")["return"], (Json { { "arch", "x86_64" } }));
    auto version = execute("query-version")["return"];
    EXPECT_EQ(version["qemu"]["major"], 7);
    EXPECT_EQ(version["qemu"]["minor"], 2);
    EXPECT_TRUE(version["package"].is_string());
    auto machines = execute("query-machines")["return"];
    ASSERT_EQ(machines.size(), 1u);
    for (const char* key : { "name", "cpu-max", "hotpluggable-cpus", "numa-mem-supported", "deprecated" })
        EXPECT_TRUE(machines[0].contains(key)) << key;
    EXPECT_EQ(machines[0]["alias"], "pc");
    auto cpus = execute("query-cpus-fast")["return"];
    ASSERT_EQ(cpus.size(), 2u);
    EXPECT_EQ(cpus[1]["thread-id"], 4243);
    EXPECT_EQ(cpus[1]["cpu-index"], 1);
    EXPECT_EQ(cpus[1]["target"], "x86_64");
    EXPECT_EQ(cpus[1]["props"], (Json { { "core-id", 0 }, { "thread-id", 0 }, { "socket-id", 1 } }));
    EXPECT_EQ(cpus[1]["qom-path"], "/machine/unattached/device[1]");
    EXPECT_EQ(execute("query-memory-size-summary")["return"],
        (Json { { "base-memory", 256ULL << 20 }, { "plugged-memory", 0 } }));
    EXPECT_EQ(execute("query-migrate-capabilities")["return"], Json::array());
    auto options = execute("query-command-line-options")["return"];
    ASSERT_TRUE(options.is_array());
    EXPECT_TRUE(options[0].contains("option") && options[0]["parameters"].is_array());
    EXPECT_EQ(execute("query-command-line-options", Json { { "option", "machine" } })["return"].size(), 1u);
    expect_error(execute("query-command-line-options", Json { { "option", "nope" } }), "GenericError",
        "invalid option name: nope");
    EXPECT_EQ(execute("query-chardev")["return"],
        Json::array({ Json { { "frontend-open", false }, { "filename", "disconnected:unix:/tmp/q,server=on" },
            { "label", "compat_monitor0" } } }));
}

TEST_F(QmpDispatch, QueryCommandsListsTheTable)
{
    negotiate();
    auto list = execute("query-commands")["return"];
    ASSERT_EQ(list.size(), m_table.commands().size());
    std::vector<std::string> names;
    for (const auto& entry : list)
        names.push_back(entry["name"]);
    for (const char* expected : { "qmp_capabilities", "query-version", "query-commands", "query-qmp-schema",
             "query-status", "query-name", "query-uuid", "query-kvm", "query-target", "query-machines",
             "query-cpus-fast", "query-memory-size-summary", "query-command-line-options",
             "query-migrate-capabilities", "query-chardev", "stop", "cont", "system_reset", "system_powerdown", "quit",
             "human-monitor-command" })
        EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
}

TEST_F(QmpDispatch, LifecycleCommands)
{
    negotiate();
    EXPECT_EQ(execute("stop")["return"], Json::object());
    EXPECT_EQ(execute("query-status")["return"]["status"], "paused");
    EXPECT_EQ(execute("query-status")["return"]["running"], false);
    EXPECT_EQ(execute("cont")["return"], Json::object());
    EXPECT_EQ(execute("system_reset")["return"], Json::object());
    EXPECT_EQ(execute("system_powerdown")["return"], Json::object());
    EXPECT_EQ(execute("quit")["return"], Json::object());
    EXPECT_EQ(m_machine.calls, (std::vector<std::string> { "pause", "resume", "reset", "power_button", "quit" }));
    EXPECT_EQ(m_machine.events, (std::vector<std::string> { "STOP", "RESUME", "POWERDOWN", "SHUTDOWN" }));

    m_machine.state = RunState::Shutdown;
    expect_error(execute("cont"), "GenericError", "Resetting the Virtual Machine is required");
    m_machine.state = RunState::Prelaunch;
    EXPECT_EQ(execute("query-status")["return"]["status"], "prelaunch");
}

TEST_F(QmpDispatch, HumanMonitorCommands)
{
    negotiate();
    auto hmp = [&](const char* line) {
        return execute("human-monitor-command", Json { { "command-line", line } })["return"].get<std::string>();
    };
    EXPECT_EQ(hmp("info status"), "VM status: running\r\n");
    m_machine.state = RunState::Prelaunch;
    EXPECT_EQ(hmp("info status"), "VM status: paused (prelaunch)\r\n");
    EXPECT_TRUE(hmp("info version").starts_with("7.2.0 (vireo "));
    EXPECT_EQ(hmp("info name"), "");
    m_machine.vm_name = "vm1";
    EXPECT_EQ(hmp("info name"), "vm1\r\n");
    EXPECT_EQ(hmp("info kvm"), "kvm support: enabled\r\n");
    EXPECT_EQ(hmp("  frobnicate now"), "unknown command: 'frobnicate'\r\n");
    EXPECT_EQ(hmp("info frob"), "unknown command: 'info frob'\r\n");
    EXPECT_NE(hmp("help").find("info [subcommand]"), std::string::npos);
    EXPECT_EQ(hmp("info cpus"), "* CPU #0: thread_id=4242\r\n  CPU #1: thread_id=4243\r\n");
    EXPECT_EQ(hmp("cont"), "");
    EXPECT_EQ(m_machine.state, RunState::Running);
}

TEST_F(QmpDispatch, StreamInCrLfLinesOut)
{
    std::string out;
    ASSERT_EQ(m_session.feed("{\"execute\":\"qmp_capabilities\",\"id\":1}{\"execute\":", out), QmpSession::Status::Ok);
    EXPECT_EQ(out, "{\"return\":{},\"id\":1}\r\n");
    out.clear();
    ASSERT_EQ(m_session.feed("\"query-kvm\"}\nnot json\n{\"execute\": \"x\", }\n", out), QmpSession::Status::Ok);
    EXPECT_EQ(out,
        "{\"return\":{\"enabled\":true,\"present\":true}}\r\n"
        "{\"error\":{\"class\":\"GenericError\",\"desc\":\"JSON parse error, invalid JSON\"}}\r\n"
        "{\"error\":{\"class\":\"GenericError\",\"desc\":\"JSON parse error, invalid JSON\"}}\r\n"
        "{\"error\":{\"class\":\"GenericError\",\"desc\":\"JSON parse error, invalid JSON\"}}\r\n");
}

TEST_F(QmpDispatch, OversizedMessageDropsTheClientWithAnError)
{
    QmpSession session(m_table, QmpStyle::Compact, 1024);
    std::string out;
    EXPECT_EQ(session.feed("{\"execute\": \"" + std::string(2000, 'a'), out), QmpSession::Status::Drop);
    auto reply = Json::parse(out);
    EXPECT_EQ(reply["error"]["class"], "GenericError");
}

TEST_F(QmpDispatch, PrettyOutputIsIndented)
{
    QmpSession session(m_table, QmpStyle::Pretty);
    std::string out;
    ASSERT_EQ(session.feed("{\"execute\":\"qmp_capabilities\"}", out), QmpSession::Status::Ok);
    EXPECT_EQ(out, "{\n    \"return\": {}\n}\r\n");
}

} // namespace
} // namespace vireo

namespace vireo {
namespace {

TEST_F(QmpDispatch, SetPasswordForVnc)
{
    negotiate();
    expect_error(execute("set_password", Json { { "protocol", "vnc" }, { "password", "x" } }), "GenericError",
        "Could not set password");
    m_machine.vnc_password_auth = true;
    EXPECT_EQ(execute("set_password", Json { { "protocol", "vnc" }, { "password", "s3cret" }, { "connected", "keep" } }),
        (Json { { "return", Json::object() } }));
    EXPECT_EQ(m_machine.vnc_password, "s3cret");
    expect_error(execute("set_password", Json { { "protocol", "spice" }, { "password", "x" } }), "GenericError",
        "spice is not available");
}

} // namespace
} // namespace vireo
