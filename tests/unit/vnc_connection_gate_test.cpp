// The VNC connection gate on its own: each "connection" is one end of a Unix socket pair on a
// real EventLoop thread; the test plays the client on the other end and records what the gate
// lets through, and when.
#include <sys/socket.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/event_fd.h"
#include "ui/vnc_connection_gate.h"

using namespace vireo;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

struct Admitted {
    UniqueFd fd;
    bool spoke;
    Clock::time_point when;
};

class GateFixture : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_loop = std::move(*EventLoop::create());
        VncConnectionGateOptions options;
        options.silence = 100ms;
        options.first_words = 1000ms;
        options.max_waiting = 4;
        auto gate = VncConnectionGate::create(*m_loop,
            [this](UniqueFd fd, bool spoke) {
                std::lock_guard guard(m_lock);
                m_admitted.push_back(Admitted { std::move(fd), spoke, Clock::now() });
            },
            options);
        ASSERT_TRUE(gate);
        m_gate = std::move(*gate);
        m_doorbell.emplace(std::move(*EventFd::create()));
        ASSERT_TRUE(m_loop->add(m_doorbell->fd(), EPOLLIN, [this](uint32_t) { take_incoming(); }));
        m_thread = std::thread([this] { m_loop->run(); });
    }
    void TearDown() override
    {
        m_loop->stop();
        m_thread.join();
        m_loop->remove(m_doorbell->fd());
        m_gate.reset();
    }

    // A new connection at the gate; the client's end. The gate is the loop thread's, as in
    // the VNC server: the connection goes to it through a queue and a doorbell.
    UniqueFd connect()
    {
        int pair[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
        UniqueFd server(pair[0]);
        UniqueFd client(pair[1]);
        timeval timeout { 5, 0 };
        ::setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        {
            std::lock_guard guard(m_lock);
            m_incoming.push_back(std::move(server));
        }
        m_doorbell->signal();
        return client;
    }
    void take_incoming()
    {
        m_doorbell->consume();
        std::vector<UniqueFd> incoming;
        {
            std::lock_guard guard(m_lock);
            incoming.swap(m_incoming);
        }
        for (auto& fd : incoming)
            m_gate->add(std::move(fd));
    }
    static void say(const UniqueFd& client, std::string_view text)
    {
        ASSERT_EQ(::send(client.get(), text.data(), text.size(), MSG_NOSIGNAL), ssize_t(text.size()));
    }
    // The gate closed the connection: the client reads EOF, or a reset when the gate left
    // bytes unread.
    static bool dropped(const UniqueFd& client)
    {
        char byte;
        ssize_t n = ::recv(client.get(), &byte, 1, 0);
        return n == 0 || (n < 0 && errno == ECONNRESET);
    }
    size_t admitted_count()
    {
        std::lock_guard guard(m_lock);
        return m_admitted.size();
    }
    bool wait_admitted(size_t count, std::chrono::milliseconds limit = 2000ms)
    {
        auto end = Clock::now() + limit;
        while (Clock::now() < end) {
            if (admitted_count() >= count)
                return true;
            std::this_thread::sleep_for(5ms);
        }
        return false;
    }

    std::unique_ptr<EventLoop> m_loop;
    std::unique_ptr<VncConnectionGate> m_gate;
    std::thread m_thread;
    std::optional<EventFd> m_doorbell;
    std::mutex m_lock;
    std::vector<UniqueFd> m_incoming;
    std::vector<Admitted> m_admitted;
};

} // namespace

TEST_F(GateFixture, AClientThatSpeaksFirstIsLetThroughAtOnceWithItsBytesUnread)
{
    auto client = connect();
    say(client, "RFB 003.008\n");
    ASSERT_TRUE(wait_admitted(1));
    std::lock_guard guard(m_lock);
    EXPECT_TRUE(m_admitted[0].spoke);
    char head[12];
    EXPECT_EQ(::recv(m_admitted[0].fd.get(), head, sizeof(head), MSG_DONTWAIT), 12) << "the gate only peeks";
}

TEST_F(GateFixture, ASilentClientIsLetThroughAfterTheSilence)
{
    auto start = Clock::now();
    auto client = connect();
    ASSERT_TRUE(wait_admitted(1));
    std::lock_guard guard(m_lock);
    EXPECT_FALSE(m_admitted[0].spoke);
    EXPECT_GE(m_admitted[0].when - start, 100ms);
}

TEST_F(GateFixture, AWebSocketHandshakeWaitsForItsWholeHeader)
{
    auto client = connect();
    say(client, "GET / HTTP/1.1\r\nHost: localhost\r\n");
    std::this_thread::sleep_for(200ms); // past the silence: it spoke, so it is not taken for RFB
    EXPECT_EQ(admitted_count(), 0u);
    say(client, "Upgrade: websocket\r\n\r\n");
    ASSERT_TRUE(wait_admitted(1));
    std::lock_guard guard(m_lock);
    EXPECT_TRUE(m_admitted[0].spoke);
}

// Found by fuzz_rfb: libvncserver keeps the path of every request line and frees only the
// last, so each repeated one leaked; the gate refuses such a header before libvncserver sees it.
TEST_F(GateFixture, AWebSocketHeaderThatRepeatsItsRequestLineIsDropped)
{
    auto client = connect();
    say(client, "GET /a HTTP/1.1\r\nGET /b HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n");
    EXPECT_TRUE(dropped(client));
    EXPECT_EQ(admitted_count(), 0u);

    // A lone '\n' does not end a line for libvncserver, so "\n\r\n" does not end its header.
    auto sly = connect();
    say(sly, "GET /a HTTP/1.1\r\n\n\r\nGET /b HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
    EXPECT_TRUE(dropped(sly));
    EXPECT_EQ(admitted_count(), 0u);

    // A "GET " after the header's end is the client's first WebSocket bytes, not a header line.
    auto next = connect();
    say(next, "GET /a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\nGET /b HTTP/1.1\r\n");
    ASSERT_TRUE(wait_admitted(1));
}

TEST_F(GateFixture, AFewBytesThenAHangUpAreDropped)
{
    // libvncserver's own peek spins for ever on this one.
    auto client = connect();
    say(client, "GE");
    ::shutdown(client.get(), SHUT_WR);
    EXPECT_TRUE(dropped(client));
    EXPECT_EQ(admitted_count(), 0u);
}

TEST_F(GateFixture, AFewBytesAndThenNothingAreDroppedAtTheDeadline)
{
    auto start = Clock::now();
    auto client = connect();
    std::this_thread::sleep_for(50ms);
    say(client, "\x01");
    EXPECT_TRUE(dropped(client));
    EXPECT_GE(Clock::now() - start, 1000ms);
    EXPECT_EQ(admitted_count(), 0u);
}

TEST_F(GateFixture, AnUnfinishedHeaderIsDroppedAtTheDeadline)
{
    auto client = connect();
    say(client, "GET / HTTP/1.1\r\n");
    EXPECT_TRUE(dropped(client));
    EXPECT_EQ(admitted_count(), 0u);
}

TEST_F(GateFixture, AConnectionClosedBeforeAWordIsDropped)
{
    auto client = connect();
    client.reset();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(admitted_count(), 0u);
}

TEST_F(GateFixture, ConnectionsPastTheLimitAreDropped)
{
    std::vector<UniqueFd> clients;
    for (int i = 0; i < 5; ++i)
        clients.push_back(connect());
    EXPECT_TRUE(dropped(clients[4]));
    ASSERT_TRUE(wait_admitted(4));
    for (int i = 0; i < 4; ++i)
        say(clients[i], "x"); // still open
}
