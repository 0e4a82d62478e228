// libslirp user networking: DHCP answered inside the process, a hostfwd on 127.0.0.1.
// Nothing is sent beyond the loopback interface.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstring>

#include "net/slirp_backend.h"
#include "slirp_test_util.h"

namespace vireo {
namespace {

using test::dhcp_discover;
using test::free_loopback_port;
using test::get16;

class SlirpTest : public ::testing::Test {
protected:
    std::unique_ptr<SlirpBackend> create(SlirpOptions options = SlirpOptions::defaults())
    {
        auto backend = SlirpBackend::create(*m_loop, options);
        EXPECT_TRUE(backend) << (backend ? "" : backend.error().describe());
        return backend ? std::move(*backend) : nullptr;
    }
    std::unique_ptr<EventLoop> m_loop = EventLoop::create().value();
};

TEST_F(SlirpTest, AnswersDhcpDiscoverWithOffer)
{
    auto slirp = create();
    ASSERT_TRUE(slirp);
    EXPECT_FALSE(slirp->has_vnet_header());
    auto frame = dhcp_discover();
    iovec iov { frame.data(), frame.size() };
    ASSERT_TRUE(slirp->send(std::span(&iov, 1)));
    ASSERT_GE(slirp->pending_frames(), 1u);

    std::vector<uint8_t> buffer(k_max_net_frame);
    auto length = slirp->receive(buffer);
    ASSERT_TRUE(length);
    ASSERT_GT(*length, 14u + 20 + 8 + 240);
    EXPECT_EQ(get16(buffer.data() + 12), 0x0800);
    const uint8_t* ip = buffer.data() + 14;
    EXPECT_EQ(ip[9], 17);
    const uint8_t* udp = ip + (ip[0] & 0xf) * 4;
    EXPECT_EQ(get16(udp), 67);
    EXPECT_EQ(get16(udp + 2), 68);
    const uint8_t* bootp = udp + 8;
    EXPECT_EQ(bootp[0], 2); // BOOTREPLY
    EXPECT_EQ(bootp[4], 0x12);
    in_addr yiaddr {};
    std::memcpy(&yiaddr, bootp + 16, 4);
    EXPECT_STREQ(::inet_ntoa(yiaddr), "10.0.2.15");
    EXPECT_EQ(slirp->receive(buffer).value(), 0u);
}

TEST_F(SlirpTest, ReceiveHandlerRunsOnTheLoop)
{
    auto slirp = create();
    ASSERT_TRUE(slirp);
    int frames = 0;
    slirp->set_receive_handler([&] {
        std::vector<uint8_t> buffer(k_max_net_frame);
        while (slirp->receive(buffer).value() > 0)
            ++frames;
        m_loop->stop();
    });
    slirp->set_receive_enabled(true);
    // A watchdog so that a broken handler fails the test instead of hanging it.
    int watchdog = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    itimerspec spec {};
    spec.it_value.tv_sec = 5;
    ::timerfd_settime(watchdog, 0, &spec, nullptr);
    ASSERT_TRUE(m_loop->add(watchdog, EPOLLIN, [&](uint32_t) { m_loop->stop(); }));

    auto frame = dhcp_discover();
    iovec iov { frame.data(), frame.size() };
    ASSERT_TRUE(slirp->send(std::span(&iov, 1)));
    m_loop->run();
    m_loop->remove(watchdog);
    ::close(watchdog);
    EXPECT_EQ(frames, 1);
    slirp->set_receive_enabled(false);
}

TEST_F(SlirpTest, HostForwardAcceptsOnLoopback)
{
    uint16_t port = free_loopback_port();
    auto options = SlirpOptions::defaults();
    options.forwards.push_back(parse_hostfwd(fmt::format("tcp:127.0.0.1:{}-:22", port)).value());
    auto slirp = create(options);
    ASSERT_TRUE(slirp);

    int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0) << std::strerror(errno);

    // The listening socket is in slirp's poll set: fd() turns readable, a cycle accepts the
    // connection and slirp starts talking to the guest (ARP for 10.0.2.15, or a SYN).
    pollfd pfd { slirp->fd(), POLLIN, 0 };
    ASSERT_EQ(::poll(&pfd, 1, 2000), 1);
    for (int i = 0; i < 5 && slirp->pending_frames() == 0; ++i)
        slirp->run_cycle();
    EXPECT_GE(slirp->pending_frames(), 1u);
    ::close(client);
}

TEST_F(SlirpTest, HostForwardOnBusyPortFails)
{
    int busy = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(busy, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::listen(busy, 1), 0);
    socklen_t length = sizeof(address);
    ::getsockname(busy, reinterpret_cast<sockaddr*>(&address), &length);
    auto options = SlirpOptions::defaults();
    options.forwards.push_back(parse_hostfwd(fmt::format("tcp:127.0.0.1:{}-:22", ntohs(address.sin_port))).value());
    auto slirp = SlirpBackend::create(*m_loop, options);
    EXPECT_FALSE(slirp);
    ::close(busy);
}

} // namespace
} // namespace vireo
