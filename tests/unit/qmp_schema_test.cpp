// query-qmp-schema generated from the command table: QEMU's SchemaInfo shape, every name a
// command refers to defined once, and argument checks from the same types.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "monitor/qmp_commands.h"
#include "monitor/qmp_schema.h"
#include "qmp_fake_machine.h"

namespace vireo {
namespace {

TEST(QmpSchema, EveryReferenceResolvesToOneEntry)
{
    FakeMachineControl machine;
    CommandTable table;
    register_qmp_commands(table, machine);
    auto schema = table.schema();
    ASSERT_TRUE(schema.is_array());

    std::map<std::string, Json> by_name;
    for (const auto& entry : schema) {
        ASSERT_TRUE(entry["name"].is_string());
        ASSERT_TRUE(entry["meta-type"].is_string());
        EXPECT_TRUE(by_name.emplace(entry["name"], entry).second) << "duplicate " << entry["name"];
    }
    auto resolves = [&](const Json& name) { return name.is_string() && by_name.contains(name); };
    std::set<std::string> commands;
    for (const auto& [name, entry] : by_name) {
        const std::string meta = entry["meta-type"];
        if (meta == "command") {
            commands.insert(name);
            EXPECT_TRUE(resolves(entry["arg-type"])) << name;
            EXPECT_TRUE(resolves(entry["ret-type"])) << name;
            EXPECT_EQ(by_name[entry["arg-type"]]["meta-type"], "object") << name;
        } else if (meta == "event") {
            EXPECT_TRUE(resolves(entry["arg-type"])) << name;
        } else if (meta == "object") {
            for (const auto& member : entry["members"]) {
                EXPECT_TRUE(member["name"].is_string());
                EXPECT_TRUE(resolves(member["type"])) << name << "." << member["name"];
                if (member.contains("default")) {
                    EXPECT_TRUE(member["default"].is_null());
                }
            }
        } else if (meta == "array") {
            EXPECT_TRUE(resolves(entry["element-type"])) << name;
        } else if (meta == "enum") {
            EXPECT_EQ(entry["members"].size(), entry["values"].size());
        } else {
            ASSERT_EQ(meta, "builtin");
            EXPECT_TRUE(entry["json-type"].is_string());
        }
    }
    EXPECT_EQ(commands.size(), table.commands().size());
    EXPECT_TRUE(by_name.contains("SHUTDOWN"));
    EXPECT_EQ(by_name["str"]["json-type"], "string");
    EXPECT_EQ(by_name["int"]["json-type"], "int");

    // human-monitor-command: command-line (str) and cpu-index (optional int).
    auto args = by_name[by_name["human-monitor-command"]["arg-type"]];
    ASSERT_EQ(args["members"].size(), 2u);
    EXPECT_EQ(args["members"][0], (Json { { "name", "command-line" }, { "type", "str" } }));
    EXPECT_EQ(args["members"][1], (Json { { "name", "cpu-index" }, { "type", "int" }, { "default", nullptr } }));
    EXPECT_EQ(by_name["human-monitor-command"]["ret-type"], "str");
}

TEST(QmpSchema, ArgumentChecks)
{
    using namespace schema;
    auto type = object({ { "a", integer() }, { "b", str(), true }, { "c", array(boolean()), true },
        { "d", object({ { "e", number() } }), true }, { "f", enumeration({ "x", "y" }), true } });
    auto check = [&](const Json& arguments) {
        auto error = check_arguments(*type, arguments);
        return error ? error->desc : std::string();
    };
    EXPECT_EQ(check(Json { { "a", 1 } }), "");
    EXPECT_EQ(check(Json { { "a", 1 }, { "b", "s" }, { "c", Json::array({ true }) }, { "d", Json { { "e", 1.5 } } } }),
        "");
    EXPECT_EQ(check(Json::object()), "Parameter 'a' is missing");
    EXPECT_EQ(check(Json { { "a", 1 }, { "z", 1 } }), "Parameter 'z' is unexpected");
    EXPECT_EQ(check(Json { { "a", 1.5 } }), "Invalid parameter type for 'a', expected: integer");
    EXPECT_EQ(check(Json { { "a", 1 }, { "c", Json::array({ 1 }) } }),
        "Invalid parameter type for 'c[0]', expected: boolean");
    EXPECT_EQ(check(Json { { "a", 1 }, { "d", Json::object() } }), "Parameter 'd.e' is missing");
    EXPECT_EQ(check(Json { { "a", 1 }, { "f", "q" } }), "Parameter 'f' does not accept value 'q'");
    EXPECT_EQ(check(Json { { "a", 1 }, { "b", nullptr } }), "Invalid parameter type for 'b', expected: string");
}

} // namespace
} // namespace vireo
