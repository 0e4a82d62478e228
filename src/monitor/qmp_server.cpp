#include "monitor/qmp_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <chrono>

#include "base/log.h"
#include "monitor/hmp_session.h"

namespace vireo {

Result<std::unique_ptr<QmpServer>> QmpServer::create(EventLoop& loop, const CommandTable& commands,
    std::span<const MonitorConfig> monitors)
{
    auto server = std::unique_ptr<QmpServer>(new QmpServer(loop, commands));
    for (const auto& monitor : monitors) {
        if (monitor.chardev.backend != "socket")
            continue; // stdio: served by the machine's console
        auto socket = TRY(open_socket_listener(monitor.chardev));
        auto listener = std::make_unique<Listener>(Listener { std::move(socket), monitor.chardev.id, monitor.mode,
            monitor.pretty ? QmpStyle::Pretty : QmpStyle::Compact });
        Listener* raw = listener.get();
        server->m_listeners.push_back(std::move(listener));
        TRY(loop.add(raw->socket.fd.get(), EPOLLIN, [server = server.get(), raw](uint32_t) { server->accept_clients(*raw); }));
        if (raw->socket.wait)
            TRY(server->wait_for_first_client(*raw));
    }
    return server;
}

QmpServer::~QmpServer()
{
    // What is still queued (quit's reply, most likely) gets a short chance to go out.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    for (auto& [fd, client] : m_clients) {
        while (!client->output.empty() && std::chrono::steady_clock::now() < deadline) {
            ssize_t sent = ::send(fd, client->output.data(), client->output.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (sent > 0) {
                client->output.erase(0, static_cast<size_t>(sent));
                continue;
            }
            if (sent < 0 && errno != EAGAIN && errno != EINTR)
                break;
            pollfd wait { fd, POLLOUT, 0 };
            ::poll(&wait, 1, 10);
        }
        m_loop.remove(fd);
    }
    m_clients.clear();
    for (auto& listener : m_listeners) {
        m_loop.remove(listener->socket.fd.get());
        if (!listener->socket.unlink_path.empty())
            ::unlink(listener->socket.unlink_path.c_str());
    }
}

Result<void> QmpServer::wait_for_first_client(Listener& listener)
{
    log_warn("waiting for connection on: {}", listener.socket.description);
    while (true) {
        pollfd wait { listener.socket.fd.get(), POLLIN, 0 };
        if (::poll(&wait, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return errno_error("poll");
        }
        int fd = ::accept4(listener.socket.fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            add_client(UniqueFd(fd), listener);
            return {};
        }
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            return errno_error("accept on {}", listener.socket.description);
    }
}

void QmpServer::accept_clients(Listener& listener)
{
    m_dropped.clear();
    while (true) {
        int fd = ::accept4(listener.socket.fd.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return; // EAGAIN: none left; anything else: try again on the next wake-up
        UniqueFd connection(fd);
        if (m_clients.size() >= k_max_clients) {
            log_warn("QMP: more than {} clients; connection refused", k_max_clients);
            continue;
        }
        add_client(std::move(connection), listener);
    }
}

void QmpServer::add_client(UniqueFd fd, Listener& listener)
{
    int raw = fd.get();
    std::unique_ptr<MonitorSession> session;
    if (listener.mode == MonitorMode::Readline)
        session = std::make_unique<HmpSession>(m_commands);
    else
        session = std::make_unique<QmpSession>(m_commands, listener.style);
    auto client = std::make_unique<Client>(Client { std::move(fd), std::move(session), &listener });
    auto greeting = client->session->greeting();
    m_clients[raw] = std::move(client);
    if (!m_loop.add(raw, EPOLLIN | EPOLLRDHUP, [this, raw](uint32_t events) { on_client_event(raw, events); })) {
        m_clients.erase(raw);
        return;
    }
    send(*m_clients[raw], greeting);
}

void QmpServer::on_client_event(int fd, uint32_t events)
{
    m_dropped.clear();
    auto it = m_clients.find(fd);
    if (it == m_clients.end())
        return;
    if (events & EPOLLOUT) {
        if (!flush(fd))
            return;
    }
    Client& client = *it->second;
    if (!client.reading || !(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        return;
    std::array<char, 65536> buffer;
    ssize_t count = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (count < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (count < 0 || (events & EPOLLERR)) {
        drop(fd);
        return;
    }
    if (count == 0) {
        // The client has said all it will (socat at the end of its input): the replies still
        // queued go out, then the connection closes.
        client.reading = false;
        client.closing = true;
        flush(fd);
        return;
    }
    if (client.closing)
        return;
    std::string replies;
    // A command's events (stop's STOP) go out as it runs, before its reply. The session is
    // safe meanwhile: a client dropped then is only freed at the next call from the loop.
    auto status = client.session->feed(std::string_view(buffer.data(), static_cast<size_t>(count)), replies);
    if (status == MonitorSession::Status::Drop)
        client.closing = true;
    send(client, replies);
}

void QmpServer::send(Client& client, std::string_view text)
{
    if (client.output.size() + text.size() > k_max_pending_output) {
        log_warn("QMP: a client does not read its replies; dropping it");
        client.closing = true;
        client.output.clear();
        flush(client.fd.get());
        return;
    }
    client.output.append(text);
    flush(client.fd.get());
}

bool QmpServer::flush(int fd)
{
    auto it = m_clients.find(fd);
    if (it == m_clients.end())
        return false;
    Client& client = *it->second;
    while (!client.output.empty()) {
        ssize_t sent = ::send(fd, client.output.data(), client.output.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && errno == EAGAIN)
            break;
        if (sent <= 0) {
            drop(fd);
            return false;
        }
        client.output.erase(0, static_cast<size_t>(sent));
    }
    if (client.output.empty() && client.closing) {
        drop(fd);
        return false;
    }
    update_events(client);
    return m_clients.contains(fd);
}

void QmpServer::update_events(Client& client)
{
    uint32_t events = (client.reading ? EPOLLIN | EPOLLRDHUP : 0u) | (client.output.empty() ? 0u : EPOLLOUT);
    if (events == client.watched)
        return;
    if (!m_loop.modify(client.fd.get(), events)) {
        drop(client.fd.get());
        return;
    }
    client.watched = events;
}

void QmpServer::drop(int fd)
{
    auto it = m_clients.find(fd);
    if (it == m_clients.end())
        return;
    m_loop.remove(fd);
    ::shutdown(fd, SHUT_RDWR); // the client sees the end now; the fd itself closes with the entry
    m_dropped.push_back(std::move(it->second));
    m_clients.erase(it);
}

void QmpServer::emit_event(std::string_view name, const Json& data)
{
    timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    Json event { { "timestamp", Json { { "seconds", now.tv_sec }, { "microseconds", now.tv_nsec / 1000 } } },
        { "event", name } };
    if (!data.is_null())
        event["data"] = data;
    // send() may drop a client: walk over a copy of the keys.
    std::vector<int> fds;
    for (const auto& [fd, client] : m_clients)
        fds.push_back(fd);
    for (int fd : fds) {
        auto it = m_clients.find(fd);
        if (it == m_clients.end() || !it->second->session->wants_events() || it->second->closing)
            continue;
        send(*it->second, it->second->session->frame(event));
    }
}

bool QmpServer::has_clients(std::string_view chardev_id) const
{
    for (const auto& [fd, client] : m_clients) {
        if (client->listener->chardev_id == chardev_id)
            return true;
    }
    return false;
}

} // namespace vireo
