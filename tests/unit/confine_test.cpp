// -runas resolution, the privilege drop in a forked child (as root only), and the loopback
// warning of TCP listeners.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "char/socket_listener.h"
#include "sandbox/confine.h"
#include "sandbox/sandbox.h"
#include "sandbox/thread_spawner.h"

namespace vireo {
namespace {

TEST(RunAs, NumericUidAndGid)
{
    auto both = sandbox::resolve_run_as("1234:99").value();
    ASSERT_TRUE(both);
    EXPECT_EQ(both->uid, 1234u);
    EXPECT_EQ(both->gid, 99u);
    EXPECT_EQ(both->groups, std::vector<gid_t> { 99 });
    auto uid_only = sandbox::resolve_run_as("1234").value();
    ASSERT_TRUE(uid_only);
    EXPECT_EQ(uid_only->gid, 1234u);
    EXPECT_FALSE(sandbox::resolve_run_as("").value());
    EXPECT_FALSE(sandbox::resolve_run_as("1234:x"));
}

TEST(RunAs, UserNameTakesItsGroups)
{
    auto root = sandbox::resolve_run_as("root");
    ASSERT_TRUE(root) << root.error().describe();
    EXPECT_EQ((*root)->uid, 0u);
    EXPECT_FALSE((*root)->groups.empty());
    auto missing = sandbox::resolve_run_as("no-such-user-vireo");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().describe(), "-runas no-such-user-vireo: no such user");
}

TEST(Confine, ChrootRunAsAndNoCoreDumpsThenTheLoopsFilter)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root";
    char dir_template[] = "/tmp/vireo-chroot-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    std::string dir = dir_template;
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipe_fds[1], STDERR_FILENO);
        ContainmentConfig containment;
        containment.chroot_dir = dir;
        containment.run_as = "65534:65534";
        auto run_as = sandbox::resolve_run_as(containment.run_as);
        if (!run_as || !*run_as)
            ::_exit(9);
        sandbox::CredentialChange change { (*run_as)->uid, (*run_as)->gid, (*run_as)->groups.size() };
        if (!sandbox::prepare(SandboxConfig { .enabled = true }, change))
            ::_exit(10);
        // An I/O worker with its filter on when the credentials change (as the first machine's
        // are): glibc's SIGSETXID reaches it too.
        std::mutex lock;
        std::condition_variable released;
        bool go = false;
        auto worker = sandbox::spawn_thread(sandbox::ThreadKind::IoWorker, "io-worker", [&] {
            std::unique_lock guard(lock);
            released.wait(guard, [&] { return go; });
        });
        if (!sandbox::confine_process(containment, *run_as))
            ::_exit(11);
        if (::getuid() != 65534 || ::getgid() != 65534 || ::geteuid() != 65534)
            ::_exit(12);
        rlimit core {};
        if (::getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_max != 0)
            ::_exit(13);
        if (::prctl(PR_GET_DUMPABLE) != 0 || ::prctl(PR_GET_NO_NEW_PRIVS) != 1)
            ::_exit(14);
        {
            std::lock_guard guard(lock);
            go = true;
        }
        released.notify_all();
        worker.join();
        // Inside the chroot, "/" is the empty directory; the filters are on: setuid(0) traps.
        if (std::filesystem::exists("/tmp"))
            ::_exit(15);
        ::setuid(0);
        ::_exit(16);
    }
    ::close(pipe_fds[1]);
    std::string output;
    char buffer[256];
    ssize_t n;
    while ((n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0)
        output.append(buffer, static_cast<size_t>(n));
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::filesystem::remove(dir);
    ASSERT_TRUE(WIFEXITED(status)) << output;
    EXPECT_EQ(WEXITSTATUS(status), sandbox::k_sigsys_exit_status) << output;
    // glibc has every other thread make the call first: the spawner's filter stops it there.
    EXPECT_NE(output.find("forbidden system call setuid ("), std::string::npos) << output;
}

uint16_t free_port()
{
    UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address {};
    address.sin_family = AF_INET;
    ::bind(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    ::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
}

ChardevConfig tcp(const std::string& host, uint16_t port)
{
    return ChardevConfig { "socket", "m0", { { "host", host }, { "port", std::to_string(port) }, { "server", "on" } } };
}

TEST(SocketListener, WarnsOnceAboutTcpBeyondLoopback)
{
    testing::internal::CaptureStderr();
    auto loopback = open_socket_listener(tcp("127.0.0.1", free_port()));
    ASSERT_TRUE(loopback) << loopback.error().describe();
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");

    testing::internal::CaptureStderr();
    auto any = open_socket_listener(tcp("0.0.0.0", free_port()));
    auto again = open_socket_listener(tcp("0.0.0.0", free_port()));
    std::string warnings = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(any && again);
    EXPECT_NE(warnings.find("listens beyond loopback without authentication"), std::string::npos) << warnings;
    EXPECT_EQ(std::count(warnings.begin(), warnings.end(), '\n'), 1) << warnings;
}

} // namespace
} // namespace vireo
