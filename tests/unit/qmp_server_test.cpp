// The QMP server on real sockets and a running event loop: greeting, negotiation, messages
// split across writes, several clients and monitors (a Unix path, an inherited listening fd,
// pretty=on), events to negotiated clients only, and an oversized message dropping its client.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/event_fd.h"
#include "monitor/line_editor.h"
#include "monitor/qmp_commands.h"
#include "monitor/qmp_server.h"
#include "qmp_fake_machine.h"

namespace vireo {
namespace {

class Client {
public:
    explicit Client(int fd)
        : m_fd(fd)
    {
    }
    static Client unix_socket(const std::string& path)
    {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address {};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
        return Client(fd);
    }
    static Client tcp(uint16_t port)
    {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
        return Client(fd);
    }
    void send(const std::string& text)
    {
        ASSERT_EQ(::send(m_fd.get(), text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
    }
    // One message (up to CRLF); empty at end of stream or after 5 s.
    std::string read_message()
    {
        while (true) {
            if (auto end = m_buffer.find("\r\n"); end != std::string::npos) {
                auto message = m_buffer.substr(0, end);
                m_buffer.erase(0, end + 2);
                return message;
            }
            pollfd wait { m_fd.get(), POLLIN, 0 };
            if (::poll(&wait, 1, 5000) <= 0)
                return {};
            char chunk[4096];
            ssize_t count = ::recv(m_fd.get(), chunk, sizeof(chunk), 0);
            if (count <= 0)
                return {};
            m_buffer.append(chunk, static_cast<size_t>(count));
        }
    }
    Json read_json() { return Json::parse(read_message()); }
    // Everything up to and including marker (the human monitor's prompt has no line end);
    // empty at end of stream or after 5 s.
    std::string read_until(std::string_view marker)
    {
        while (true) {
            if (auto end = m_buffer.find(marker); end != std::string::npos) {
                auto text = m_buffer.substr(0, end + marker.size());
                m_buffer.erase(0, end + marker.size());
                return text;
            }
            pollfd wait { m_fd.get(), POLLIN, 0 };
            if (::poll(&wait, 1, 5000) <= 0)
                return {};
            char chunk[4096];
            ssize_t count = ::recv(m_fd.get(), chunk, sizeof(chunk), 0);
            if (count <= 0)
                return {};
            m_buffer.append(chunk, static_cast<size_t>(count));
        }
    }
    bool closed_by_server()
    {
        pollfd wait { m_fd.get(), POLLIN, 0 };
        if (::poll(&wait, 1, 5000) <= 0)
            return false;
        char chunk[4096];
        while (true) {
            ssize_t count = ::recv(m_fd.get(), chunk, sizeof(chunk), 0);
            if (count <= 0)
                return count == 0 || errno == ECONNRESET;
        }
    }

private:
    UniqueFd m_fd;
    std::string m_buffer;
};

class QmpServerTest : public testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/vireo-qmp-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_loop = EventLoop::create().value();
        register_qmp_commands(m_table, m_machine);
    }
    void TearDown() override
    {
        if (m_thread.joinable()) {
            m_loop->stop();
            m_thread.join();
        }
        m_server.reset();
        std::filesystem::remove_all(m_dir);
    }
    void start(std::vector<MonitorConfig> monitors)
    {
        auto server = QmpServer::create(*m_loop, m_table, monitors);
        ASSERT_TRUE(server) << server.error().describe();
        m_server = std::move(*server);
        // Events are sent from the loop's thread, when the test rings this bell.
        ASSERT_TRUE(m_loop->add(m_bell.fd(), EPOLLIN, [this](uint32_t) {
            m_bell.consume();
            m_server->emit_event("STOP");
        }));
        m_thread = std::thread([this] { m_loop->run(); });
    }
    static MonitorConfig monitor(std::string id, std::map<std::string, std::string> options, bool pretty = false)
    {
        options["server"] = "on";
        options["wait"] = "off";
        return MonitorConfig { ChardevConfig { "socket", std::move(id), std::move(options) }, MonitorMode::Control,
            pretty };
    }
    static void negotiate(Client& client)
    {
        EXPECT_TRUE(client.read_json().contains("QMP"));
        client.send("{\"execute\": \"qmp_capabilities\"}\r\n");
        EXPECT_EQ(client.read_json(), (Json { { "return", Json::object() } }));
    }

    std::string m_dir;
    std::unique_ptr<EventLoop> m_loop;
    FakeMachineControl m_machine;
    CommandTable m_table;
    std::unique_ptr<QmpServer> m_server;
    EventFd m_bell = EventFd::create().value();
    std::thread m_thread;
};

TEST_F(QmpServerTest, UnixSocketGreetsNegotiatesAndAnswersSplitMessages)
{
    std::string path = m_dir + "/qmp.sock";
    start({ monitor("compat_monitor0", { { "path", path } }) });
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);

    auto client = Client::unix_socket(path);
    negotiate(client);
    client.send("{\"execute\": \"query-st");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    client.send("atus\", \"id\": 5}{\"execute\": \"query-kvm\"}\n");
    auto status = client.read_json();
    EXPECT_EQ(status["id"], 5);
    EXPECT_EQ(status["return"]["status"], "running");
    EXPECT_EQ(client.read_json()["return"]["present"], true);
}

TEST_F(QmpServerTest, EventsGoToNegotiatedClientsOfEveryMonitor)
{
    // A listening socket inherited by descriptor, as libvirt passes it (fd=N).
    int inherited = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(inherited, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::listen(inherited, 4), 0);
    socklen_t length = sizeof(address);
    ::getsockname(inherited, reinterpret_cast<sockaddr*>(&address), &length);
    std::string path = m_dir + "/qmp.sock";
    start({ monitor("compat_monitor0", { { "path", path } }),
        monitor("mon1", { { "fd", std::to_string(inherited) } }, true) });

    auto first = Client::unix_socket(path);
    auto second = Client::unix_socket(path);
    auto pretty = Client::tcp(ntohs(address.sin_port));
    negotiate(first);
    EXPECT_TRUE(second.read_json().contains("QMP")); // not negotiated: no events
    auto greeting = pretty.read_message();
    EXPECT_NE(greeting.find("\n    \"QMP\""), std::string::npos) << greeting;
    pretty.send("{\"execute\": \"qmp_capabilities\"}");
    EXPECT_EQ(pretty.read_message(), "{\n    \"return\": {}\n}");

    m_bell.signal();
    auto event = first.read_json();
    EXPECT_EQ(event["event"], "STOP");
    EXPECT_TRUE(event["timestamp"]["seconds"].is_number_integer());
    EXPECT_TRUE(event["timestamp"]["microseconds"].is_number_integer());
    EXPECT_FALSE(event.contains("data"));
    EXPECT_EQ(Json::parse(pretty.read_message())["event"], "STOP");
    second.send("{\"execute\": \"query-kvm\"}");
    EXPECT_EQ(second.read_json()["error"]["class"], "CommandNotFound"); // the reply, no event before it
}

TEST_F(QmpServerTest, OversizedMessageGetsAnErrorAndTheConnectionCloses)
{
    std::string path = m_dir + "/qmp.sock";
    start({ monitor("compat_monitor0", { { "path", path } }) });
    auto client = Client::unix_socket(path);
    negotiate(client);
    client.send("{\"execute\": \"" + std::string(JsonStreamReader::k_default_limit + 10, 'a'));
    EXPECT_EQ(client.read_json()["error"]["class"], "GenericError");
    EXPECT_TRUE(client.closed_by_server());

    // The server goes on for others.
    auto other = Client::unix_socket(path);
    negotiate(other);
}

TEST_F(QmpServerTest, ClientThatLeavesMidMessageAndManyClients)
{
    std::string path = m_dir + "/qmp.sock";
    start({ monitor("compat_monitor0", { { "path", path } }) });
    for (int i = 0; i < 100; ++i) {
        auto client = Client::unix_socket(path);
        client.send("{\"execute\": \"qmp_capa");
    }
    auto client = Client::unix_socket(path);
    negotiate(client);
}

TEST_F(QmpServerTest, HumanMonitorOnASocketTakesClientsOneAfterAnother)
{
    std::string path = m_dir + "/hmp.sock";
    auto human = monitor("compat_monitor0", { { "path", path } });
    human.mode = MonitorMode::Readline;
    start({ human });

    for (int round = 0; round < 2; ++round) {
        auto client = Client::unix_socket(path);
        EXPECT_EQ(client.read_until("(qemu) "),
            "QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ");
        // Typed with a mistake rubbed out, the line ended by CR LF.
        client.send("info statuz\x7fs\r\n");
        EXPECT_EQ(client.read_until("(qemu) "), std::string("info statuz\b \bs\r\nVM status: ")
                + (round == 0 ? "running" : "paused") + "\r\n(qemu) ");
        client.send("stop\n");
        EXPECT_EQ(client.read_until("(qemu) "), "stop\r\n(qemu) ");
    }
    EXPECT_EQ(m_machine.state, RunState::Paused);
}

TEST_F(QmpServerTest, HumanMonitorSurvivesAFloodAndGarbage)
{
    std::string path = m_dir + "/hmp.sock";
    auto human = monitor("compat_monitor0", { { "path", path } });
    human.mode = MonitorMode::Readline;
    start({ human });

    {
        // Disconnects mid-line.
        auto early = Client::unix_socket(path);
        early.send("info sta");
    }
    auto client = Client::unix_socket(path);
    ASSERT_FALSE(client.read_until("(qemu) ").empty());
    // Four megabytes without a newline: the line stops growing at its limit, and the client
    // is answered, not dropped.
    std::string flood(1 << 20, 'a');
    for (int i = 0; i < 4; ++i)
        client.send(flood);
    client.send(std::string("\x00\x01\x1b[A\r", 6)); // control bytes and an arrow key are dropped
    std::string cut = client.read_until("(qemu) ");
    EXPECT_NE(cut.find("unknown command: '" + std::string(LineEditor::k_max_line, 'a') + "'"), std::string::npos);
    client.send("\xffjunk\x15info kvm\r"); // Ctrl-U clears what came before
    std::string answer = client.read_until("(qemu) ");
    EXPECT_NE(answer.find("\r\nkvm support: enabled\r\n"), std::string::npos) << answer;
}

} // namespace
} // namespace vireo
