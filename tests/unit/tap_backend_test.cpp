// The tap back end on a real tap interface. Needs root and /dev/net/tun; the interface exists
// only for the test's lifetime and stays down unless a test brings it up (no route, no
// address: nothing leaves the machine).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "net/tap.h"

namespace vireo {
namespace {

bool tap_usable()
{
    if (::geteuid() != 0)
        return false;
    int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    ::close(fd);
    return true;
}

#define REQUIRE_TAP()                                             \
    do {                                                          \
        if (!tap_usable())                                        \
            GTEST_SKIP() << "needs root and a usable /dev/net/tun"; \
    } while (0)

class TapTest : public ::testing::Test {
protected:
    std::unique_ptr<EventLoop> m_loop = EventLoop::create().value();
};

TEST_F(TapTest, OpensWithVnetHeader)
{
    REQUIRE_TAP();
    auto queues = TapBackend::open(*m_loop, TapOptions { .ifname = "vireot%d" });
    ASSERT_TRUE(queues) << queues.error().describe();
    ASSERT_EQ(queues->size(), 1u);
    auto& tap = *queues->front();
    EXPECT_EQ(tap.ifname().rfind("vireot", 0), 0u);
    EXPECT_TRUE(tap.has_vnet_header());
    EXPECT_TRUE(::fcntl(tap.fd(), F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(tap.set_offloads(NetOffloads { .csum = true, .tso4 = true, .tso6 = true }));
    EXPECT_TRUE(tap.set_offloads(NetOffloads {}));

    std::vector<uint8_t> buffer(k_max_net_frame);
    auto received = tap.receive(buffer);
    ASSERT_TRUE(received);
    EXPECT_EQ(*received, 0u); // down interface: nothing to read, and no blocking

    tap.set_receive_enabled(true);
    tap.set_receive_enabled(true);
    tap.set_receive_enabled(false);
}

TEST_F(TapTest, MultiqueueSharesTheInterface)
{
    REQUIRE_TAP();
    auto queues = TapBackend::open(*m_loop, TapOptions { .ifname = "vireomq%d", .queues = 2 });
    ASSERT_TRUE(queues) << queues.error().describe();
    ASSERT_EQ(queues->size(), 2u);
    EXPECT_EQ((*queues)[0]->ifname(), (*queues)[1]->ifname());
    EXPECT_NE((*queues)[0]->fd(), (*queues)[1]->fd());
}

TEST_F(TapTest, WithoutVnetHeader)
{
    REQUIRE_TAP();
    auto queues = TapBackend::open(*m_loop, TapOptions { .ifname = "vireon%d", .vnet_hdr = false });
    ASSERT_TRUE(queues);
    EXPECT_FALSE(queues->front()->has_vnet_header());
    EXPECT_TRUE(queues->front()->set_offloads(NetOffloads { .csum = true }));
}

TEST_F(TapTest, AdoptsAnOpenFd)
{
    REQUIRE_TAP();
    int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ifreq request {};
    std::strcpy(request.ifr_name, "vireofd%d");
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    ASSERT_EQ(::ioctl(fd, TUNSETIFF, &request), 0);
    auto queues = TapBackend::open(*m_loop, TapOptions { .fds = { fd } });
    ASSERT_TRUE(queues) << queues.error().describe();
    EXPECT_EQ(queues->front()->fd(), fd);
    EXPECT_EQ(queues->front()->ifname(), request.ifr_name);
    EXPECT_TRUE(queues->front()->has_vnet_header());
}

TEST_F(TapTest, NonTapFdIsRefused)
{
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ::close(fds[1]);
    auto queues = TapBackend::open(*m_loop, TapOptions { .fds = { fds[0] } });
    ASSERT_FALSE(queues);
    EXPECT_NE(queues.error().describe().find("not a tap device"), std::string::npos);
}

TEST_F(TapTest, ErrorNamesTheInterface)
{
    REQUIRE_TAP();
    auto queues = TapBackend::open(*m_loop, TapOptions { .ifname = "this-name-is-far-too-long" });
    ASSERT_FALSE(queues);
    EXPECT_NE(queues.error().describe().find("this-name-is-far-too-long"), std::string::npos);
}

// Bringing the interface up makes the kernel send its own IPv6 housekeeping frames into the
// tap (towards us, not out of the machine); a frame read back proves the receive path.
TEST_F(TapTest, ReceivesFramesWithHeaderWhenUp)
{
    REQUIRE_TAP();
    auto queues = TapBackend::open(*m_loop, TapOptions { .ifname = "vireorx%d" });
    ASSERT_TRUE(queues);
    auto& tap = *queues->front();
    int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(sock, 0);
    ifreq request {};
    std::strncpy(request.ifr_name, tap.ifname().c_str(), IFNAMSIZ - 1);
    request.ifr_flags = IFF_UP;
    int up = ::ioctl(sock, SIOCSIFFLAGS, &request);
    ::close(sock);
    if (up < 0)
        GTEST_SKIP() << "cannot bring the tap up: " << std::strerror(errno);
    pollfd pfd { tap.fd(), POLLIN, 0 };
    if (::poll(&pfd, 1, 3000) <= 0)
        GTEST_SKIP() << "the kernel sent nothing on the tap (IPv6 disabled?)";
    std::vector<uint8_t> buffer(k_max_net_frame);
    auto received = tap.receive(buffer);
    ASSERT_TRUE(received);
    EXPECT_GT(*received, sizeof(VirtioNetHeader) + 14);
}

} // namespace
} // namespace vireo
