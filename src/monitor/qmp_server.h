#pragma once
// The monitors on sockets, QMP (-qmp, -mon mode=control) and human (-monitor, -mon
// mode=readline): their listening sockets and client connections, served on the event loop
// (never blocking it: sockets are non-blocking, output that does not fit waits for EPOLLOUT).
// Each monitor listens on its own socket and takes several clients at once; each client has
// its own session (QmpSession or HmpSession). Events go to every QMP client past negotiation
// on every monitor. The server lives for the whole run, across guest resets. Monitors on
// stdio are not its business (machine/stdio_monitor).
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/event_loop.h"
#include "base/result.h"
#include "char/socket_listener.h"
#include "config/vm_config.h"
#include "monitor/monitor_session.h"
#include "monitor/qmp_session.h"

namespace vireo {

class QmpServer {
public:
    static constexpr size_t k_max_clients = 64;               // per server; more are refused
    static constexpr size_t k_max_pending_output = 16u << 20; // a client that reads none of it is dropped

    // Opens every monitor's socket; one configured with wait=on gets its first client here,
    // before the guest starts (as QEMU waits).
    [[nodiscard]] static Result<std::unique_ptr<QmpServer>> create(EventLoop& loop, const CommandTable& commands,
        std::span<const MonitorConfig> monitors);
    ~QmpServer();
    QmpServer(const QmpServer&) = delete;
    QmpServer& operator=(const QmpServer&) = delete;

    // Sends an event ({"event", "data", "timestamp"}) to every negotiated client. data null:
    // the event has no "data" member.
    void emit_event(std::string_view name, const Json& data = nullptr);

    // Clients connected to the monitor of a chardev id, for query-chardev.
    [[nodiscard]] bool has_clients(std::string_view chardev_id) const;

private:
    struct Listener {
        SocketListener socket;
        std::string chardev_id;
        MonitorMode mode;
        QmpStyle style;
    };
    struct Client {
        UniqueFd fd;
        std::unique_ptr<MonitorSession> session;
        const Listener* listener;
        std::string output;      // not yet sent
        bool closing = false;    // drop once output is sent
        bool reading = true;     // false once the client has shut its side down
        uint32_t watched = EPOLLIN | EPOLLRDHUP;
    };

    QmpServer(EventLoop& loop, const CommandTable& commands)
        : m_loop(loop)
        , m_commands(commands)
    {
    }
    [[nodiscard]] Result<void> wait_for_first_client(Listener& listener);
    void accept_clients(Listener& listener);
    void add_client(UniqueFd fd, Listener& listener);
    void on_client_event(int fd, uint32_t events);
    void send(Client& client, std::string_view text);
    // Writes what it can; false when the client is gone (its entry is then erased).
    bool flush(int fd);
    // Closes a client. Its entry is kept until no handler runs (a command's event may find a
    // client gone while that client's own session is running the command).
    void drop(int fd);
    void update_events(Client& client);

    EventLoop& m_loop;
    const CommandTable& m_commands;
    std::vector<std::unique_ptr<Listener>> m_listeners;
    std::map<int, std::unique_ptr<Client>> m_clients;
    std::vector<std::unique_ptr<Client>> m_dropped; // freed when the loop next calls in
};

} // namespace vireo
