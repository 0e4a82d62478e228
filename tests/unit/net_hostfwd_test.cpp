// hostfwd rule parsing and -netdev user/tap option handling.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include "config/vm_config.h"
#include "net/hostfwd.h"
#include "net/netdev.h"
#include "net/slirp_backend.h"
#include "net/tap.h"

namespace vireo {
namespace {

std::string address(in_addr value)
{
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &value, text, sizeof(text));
    return text;
}

TEST(NetHostfwd, FullRule)
{
    auto rule = parse_hostfwd("udp:127.0.0.2:5555-10.0.2.20:53");
    ASSERT_TRUE(rule) << rule.error().describe();
    EXPECT_EQ(rule->protocol, ForwardProtocol::Udp);
    EXPECT_EQ(address(rule->host_addr), "127.0.0.2");
    EXPECT_EQ(rule->host_port, 5555);
    EXPECT_EQ(address(rule->guest_addr), "10.0.2.20");
    EXPECT_EQ(rule->guest_port, 53);
}

TEST(NetHostfwd, DefaultsAreTcpLoopbackAndDhcpGuest)
{
    auto rule = parse_hostfwd("tcp::2222-:22");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->protocol, ForwardProtocol::Tcp);
    EXPECT_EQ(address(rule->host_addr), "127.0.0.1");
    EXPECT_EQ(rule->guest_addr.s_addr, 0u);
    EXPECT_EQ(rule->guest_port, 22);
    auto bare = parse_hostfwd("::8080-:80");
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->protocol, ForwardProtocol::Tcp);
}

TEST(NetHostfwd, RejectsMalformedRules)
{
    for (const char* bad : { "tcp", "icmp::1-:2", "tcp::2222", "tcp::2222-:0", "tcp::99999-:22", "tcp:1.2.3:22-:22",
             "tcp::22-10.0.2.15", "tcp::x-:22" })
        EXPECT_FALSE(parse_hostfwd(bad)) << bad;
}

TEST(NetSlirpOptions, DefaultsAndNet)
{
    NetdevConfig config;
    config.type = "user";
    auto options = slirp_options_from_config(config);
    ASSERT_TRUE(options);
    EXPECT_EQ(address(options->network), "10.0.2.0");
    EXPECT_EQ(address(options->host), "10.0.2.2");
    EXPECT_EQ(address(options->dhcp_start), "10.0.2.15");
    EXPECT_EQ(address(options->dns), "10.0.2.3");

    config.options = { { "net", "192.168.76.0/24" }, { "restrict", "on" } };
    config.hostfwd = { "tcp::2222-:22" };
    options = slirp_options_from_config(config);
    ASSERT_TRUE(options) << options.error().describe();
    EXPECT_EQ(address(options->host), "192.168.76.2");
    EXPECT_EQ(address(options->dhcp_start), "192.168.76.15");
    EXPECT_TRUE(options->restricted);
    EXPECT_EQ(options->forwards.size(), 1u);

    config.options = { { "host", "10.9.9.9" } };
    EXPECT_FALSE(slirp_options_from_config(config)); // outside net
    config.options = { { "smb", "/tmp" } };
    EXPECT_FALSE(slirp_options_from_config(config));
}

TEST(NetTapOptions, ScriptsAreRefused)
{
    NetdevConfig config;
    config.type = "tap";
    config.ifname = "tap0";
    config.options = { { "script", "/etc/qemu-ifup" } };
    auto options = tap_options_from_config(config);
    ASSERT_TRUE(options);
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    auto opened = TapBackend::open(**loop, *options);
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.error().describe().find("script="), std::string::npos);

    config.options = { { "script", "no" }, { "downscript", "no" }, { "fds", "3:4" } };
    options = tap_options_from_config(config);
    ASSERT_TRUE(options);
    EXPECT_EQ(options->fds, (std::vector<int> { 3, 4 }));
    config.options = { { "queues", "0" } };
    EXPECT_FALSE(tap_options_from_config(config));
}

TEST(NetNetdev, CreatesBackendsByType)
{
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    NetdevConfig user;
    user.type = "user";
    user.id = "n0";
    auto backends = create_net_backends(**loop, user);
    ASSERT_TRUE(backends) << backends.error().describe();
    ASSERT_EQ(backends->size(), 1u);
    EXPECT_FALSE(backends->front()->has_vnet_header());

    NetdevConfig bridge;
    bridge.type = "bridge";
    bridge.id = "n1";
    auto refused = create_net_backends(**loop, bridge);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().describe().find("bridge"), std::string::npos);
}

} // namespace
} // namespace vireo
