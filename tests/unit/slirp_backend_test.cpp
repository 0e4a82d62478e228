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

namespace vireo {
namespace {

constexpr uint8_t k_guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

void put16(std::vector<uint8_t>& frame, size_t offset, uint16_t value)
{
    frame[offset] = static_cast<uint8_t>(value >> 8);
    frame[offset + 1] = static_cast<uint8_t>(value);
}

uint16_t get16(const uint8_t* bytes) { return static_cast<uint16_t>(bytes[0] << 8 | bytes[1]); }

// Ethernet + IPv4 + UDP 68->67 + a BOOTP DHCPDISCOVER (RFC 2131), padded to the full BOOTP size.
std::vector<uint8_t> dhcp_discover()
{
    constexpr size_t bootp = 236 + 312;
    constexpr size_t udp = 8 + bootp;
    constexpr size_t ip = 20 + udp;
    std::vector<uint8_t> frame(14 + ip, 0);
    std::memset(frame.data(), 0xff, 6);
    std::memcpy(frame.data() + 6, k_guest_mac, 6);
    put16(frame, 12, 0x0800);
    uint8_t* iph = frame.data() + 14;
    iph[0] = 0x45;
    put16(frame, 14 + 2, ip);
    iph[8] = 64;
    iph[9] = 17;
    std::memset(iph + 16, 0xff, 4); // to 255.255.255.255 from 0.0.0.0
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += get16(iph + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(frame, 14 + 10, static_cast<uint16_t>(~sum));
    size_t u = 14 + 20;
    put16(frame, u, 68);
    put16(frame, u + 2, 67);
    put16(frame, u + 4, udp);
    size_t b = u + 8;
    frame[b] = 1;     // BOOTREQUEST
    frame[b + 1] = 1; // Ethernet
    frame[b + 2] = 6;
    frame[b + 4] = 0x12; // xid
    frame[b + 5] = 0x34;
    std::memcpy(frame.data() + b + 28, k_guest_mac, 6);
    size_t o = b + 236;
    const uint8_t options[] = { 99, 130, 83, 99, 53, 1, 1, 255 };
    std::memcpy(frame.data() + o, options, sizeof(options));
    return frame;
}

uint16_t free_loopback_port()
{
    int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    ::getsockname(sock, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(sock);
    return ntohs(address.sin_port);
}

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
