// -daemonize and -pidfile: the options as QEMU takes them, and the pid file's lock and removal.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/options.h"
#include "cli_test_util.h"
#include "process/pid_file.h"

using namespace vireo;
using test::error_of;

namespace {


std::string read_text(const std::filesystem::path& path)
{
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

class PidFileTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_dir = std::filesystem::temp_directory_path() / ("vireo-pidfile-" + std::to_string(::getpid()));
        std::filesystem::create_directories(m_dir);
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }
    std::filesystem::path m_dir;
};

} // namespace

TEST(CliProcess, DaemonizeAndPidfileParsed)
{
    auto result = parse_command_line(std::vector<std::string> { "-daemonize", "-pidfile", "/run/vm1.pid",
        "-nodefaults", "-nographic" });
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(result->config.process.daemonize);
    EXPECT_EQ(result->config.process.pid_file, "/run/vm1.pid");
}

TEST(CliProcess, DaemonizeRefusesStdio)
{
    for (auto args : std::vector<std::vector<std::string>> { { "-daemonize", "-nographic" },
             { "-daemonize", "-serial", "stdio" }, { "-daemonize", "-serial", "mon:stdio" },
             { "-daemonize", "-chardev", "stdio,id=c0" } }) {
        EXPECT_NE(error_of(args).find("-daemonize: stdio cannot be used"), std::string::npos) << args.back();
    }
    EXPECT_EQ(error_of({ "-daemonize", "-serial", "null" }), "<no error>");
    EXPECT_NE(error_of({ "-pidfile", "" }).find("a file name expected"), std::string::npos);
}

TEST_F(PidFileTest, HoldsThePidAndIsRemovedAtTheEnd)
{
    auto path = m_dir / "vm.pid";
    {
        auto pid_file = PidFile::create(path.string());
        ASSERT_TRUE(pid_file) << pid_file.error().describe();
        EXPECT_EQ(read_text(path), std::to_string(::getpid()) + "\n");
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(PidFileTest, ASecondProcessIsRefusedWhileItIsHeld)
{
    auto path = m_dir / "vm.pid";
    {
        std::ofstream stale(path);
        stale << "99999999\n"; // a stale file of a process that died is taken over
    }
    auto pid_file = PidFile::create(path.string());
    ASSERT_TRUE(pid_file) << pid_file.error().describe();
    pid_t child = ::fork();
    if (child == 0) {
        auto second = PidFile::create(path.string());
        bool refused = !second && second.error().describe().find("another process holds it") != std::string::npos;
        ::_exit(refused ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the second pid file was not refused";
    EXPECT_EQ(read_text(path), std::to_string(::getpid()) + "\n");
}

TEST_F(PidFileTest, RelativePathStillRemovedAfterTheDirectoryChanges)
{
    auto before = std::filesystem::current_path();
    std::filesystem::current_path(m_dir);
    {
        auto pid_file = PidFile::create("relative.pid");
        ASSERT_TRUE(pid_file);
        std::filesystem::current_path("/");
    }
    std::filesystem::current_path(before);
    EXPECT_FALSE(std::filesystem::exists(m_dir / "relative.pid"));
}
