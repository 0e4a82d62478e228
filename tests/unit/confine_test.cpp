// -runas resolution and the loopback warning of TCP listeners (the privilege drop itself needs
// root and changes the test process for good: confine_process runs in the smoke test only).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "char/socket_listener.h"
#include "sandbox/confine.h"

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
