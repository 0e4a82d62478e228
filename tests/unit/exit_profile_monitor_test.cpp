// The exit profiler through the monitor, against a fake machine: x-vireo-query-exits's reply
// shape, x-vireo-exits-reset, query-qmp-schema listing both, and info exits's table.
#include <gtest/gtest.h>

#include "monitor/exit_profile_format.h"
#include "monitor/hmp.h"
#include "monitor/qmp_commands.h"
#include "monitor/qmp_session.h"
#include "qmp_fake_machine.h"

namespace vireo {
namespace {

// One vCPU that served 100 writes to the POST port, 99 of them in [1, 2) us and one in
// [1, 2) ms, and 3 MMIO exits to a BAR.
ExitProfileReport sample_report()
{
    VcpuExitReport vcpu;
    vcpu.guest_ns = 5'000'000'000;
    vcpu.host_ns = 2'500'000;
    vcpu.reasons[static_cast<size_t>(ExitReason::Io)] = 100;
    vcpu.reasons[static_cast<size_t>(ExitReason::Mmio)] = 3;
    vcpu.reasons[static_cast<size_t>(ExitReason::Intr)] = 2;
    DeviceExitReport post { "post", BusKind::Pio, 0x80, {} };
    post.stats.exits = 100;
    post.stats.busy_ns = 99 * 1500 + 1'500'000;
    post.stats.latency[latency_bucket(1500)] = 99;
    post.stats.latency[latency_bucket(1'500'000)] = 1;
    DeviceExitReport bar { "pci 00:04.0 bar4", BusKind::Mmio, 0xfebf0000, {} };
    bar.stats.exits = 3;
    bar.stats.busy_ns = 3 * 700;
    bar.stats.latency[latency_bucket(700)] = 3;
    vcpu.devices = { post, bar };
    return ExitProfileReport { { vcpu }, vcpu };
}

class ExitProfileMonitor : public testing::Test {
protected:
    ExitProfileMonitor()
    {
        register_qmp_commands(m_table, m_machine);
        m_machine.exits = sample_report();
        EXPECT_EQ(execute("qmp_capabilities"), (Json { { "return", Json::object() } }));
    }
    Json execute(const std::string& command) { return m_session.handle(Json { { "execute", command } }); }

    FakeMachineControl m_machine;
    CommandTable m_table;
    QmpSession m_session { m_table, QmpStyle::Compact };
};

TEST_F(ExitProfileMonitor, QueryExitsReplyShape)
{
    auto reply = execute("x-vireo-query-exits");
    ASSERT_TRUE(reply.contains("return")) << reply.dump();
    const auto& result = reply["return"];
    ASSERT_EQ(result["vcpus"].size(), 1u);
    const auto& vcpu = result["vcpus"][0];
    EXPECT_EQ(vcpu["cpu-index"], 0);
    EXPECT_EQ(vcpu["guest-ns"], 5'000'000'000u);
    EXPECT_EQ(vcpu["host-ns"], 2'500'000u);
    EXPECT_EQ(vcpu["held-ns"], 0);
    EXPECT_EQ(vcpu["exits"], (Json { { "io", 100 }, { "mmio", 3 }, { "hlt", 0 }, { "shutdown", 0 },
                                 { "system-event", 0 }, { "intr", 2 }, { "failure", 0 } }));
    ASSERT_EQ(vcpu["devices"].size(), 2u);
    const auto& post = vcpu["devices"][0];
    EXPECT_EQ(post["name"], "post");
    EXPECT_EQ(post["kind"], "pio");
    EXPECT_EQ(post["base"], 0x80);
    EXPECT_EQ(post["exits"], 100);
    ASSERT_EQ(post["latency-ns-log2"].size(), k_latency_buckets);
    EXPECT_EQ(post["latency-ns-log2"][11], 99); // [1024, 2048) ns
    EXPECT_EQ(post["latency-ns-log2"][21], 1);
    EXPECT_EQ(vcpu["devices"][1]["kind"], "mmio");
    EXPECT_FALSE(result["total"].contains("cpu-index"));
    EXPECT_EQ(result["total"]["exits"]["io"], 100);
}

TEST_F(ExitProfileMonitor, ResetClearsAndTheQueryShowsIt)
{
    EXPECT_EQ(execute("x-vireo-exits-reset"), (Json { { "return", Json::object() } }));
    EXPECT_EQ(m_machine.calls, std::vector<std::string> { "reset_exit_profile" });
    auto reply = execute("x-vireo-query-exits");
    EXPECT_EQ(reply["return"]["vcpus"], Json::array());
    EXPECT_EQ(reply["return"]["total"]["devices"], Json::array());
}

TEST_F(ExitProfileMonitor, SchemaListsBothCommandsWithTheReplyType)
{
    auto schema = execute("query-qmp-schema")["return"];
    std::string ret_type;
    bool reset_listed = false;
    for (const auto& entry : schema) {
        if (entry["name"] == "x-vireo-query-exits")
            ret_type = entry["ret-type"];
        reset_listed = reset_listed || entry["name"] == "x-vireo-exits-reset";
    }
    EXPECT_TRUE(reset_listed);
    ASSERT_FALSE(ret_type.empty());
    Json members;
    for (const auto& entry : schema) {
        if (entry["name"] == ret_type)
            members = entry["members"];
    }
    ASSERT_EQ(members.size(), 2u) << members.dump();
    EXPECT_EQ(members[0]["name"], "vcpus");
    EXPECT_EQ(members[1]["name"], "total");
}

TEST_F(ExitProfileMonitor, InfoExitsPrintsATablePerVcpu)
{
    auto text = run_hmp_command("info exits", m_machine);
    EXPECT_NE(text.find("CPU #0: 105 exits; guest mode 5.000 s, host 2.5 ms, held 0 ns\r\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("  IO 100 MMIO 3 HLT 0 SHUTDOWN 0 SYSTEM_EVENT 0 INTR 2 FAILURE 0\r\n"), std::string::npos)
        << text;
    // post: mean (99 x 1.5 us + 1.5 ms) / 100 = 16.5 us; p50 in [1, 2) us; p99 still there
    // (the 99th of 100); the slow one is the 100th.
    EXPECT_NE(text.find("post                     pio          0x80        100    16.5 us    2.05 us    2.05 us\r\n"),
        std::string::npos)
        << text;
    EXPECT_NE(text.find("pci 00:04.0 bar4         mmio   0xfebf0000          3     700 ns    1.02 us    1.02 us\r\n"),
        std::string::npos)
        << text;
    EXPECT_EQ(text.find("Total"), std::string::npos); // one vCPU: no total line
}

TEST_F(ExitProfileMonitor, InfoExitsWithoutVcpus)
{
    m_machine.exits = {};
    EXPECT_EQ(run_hmp_command("info exits", m_machine), "no vCPU is running\r\n");
}

TEST(ExitProfileFormat, Durations)
{
    EXPECT_EQ(format_duration_ns(0), "0 ns");
    EXPECT_EQ(format_duration_ns(999), "999 ns");
    EXPECT_EQ(format_duration_ns(1500), "1.5 us");
    EXPECT_EQ(format_duration_ns(34'000), "34 us");
    EXPECT_EQ(format_duration_ns(2'500'000), "2.5 ms");
    EXPECT_EQ(format_duration_ns(61'234'000'000), "61.234 s");
}

} // namespace
} // namespace vireo
