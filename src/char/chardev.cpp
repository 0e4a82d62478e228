#include "char/chardev.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include "base/unique_fd.h"
#include "char/fd_output.h"
#include "char/socket_listener.h"

namespace vireo {

namespace {

class FdChardev final : public Chardev {
public:
    explicit FdChardev(std::unique_ptr<SerialOutput> output)
        : m_output(std::move(output))
    {
    }
    void write(std::span<const uint8_t> bytes) override { m_output->write(bytes); }

private:
    std::unique_ptr<SerialOutput> m_output;
};

// One listening socket, one client at a time. Output while no client is connected is dropped,
// as with QEMU's server sockets in wait=off mode.
class SocketChardev final : public Chardev {
public:
    SocketChardev(EventLoop& loop, UniqueFd listener, std::string unlink_path)
        : m_loop(loop)
        , m_listener(std::move(listener))
        , m_unlink_path(std::move(unlink_path))
    {
    }
    ~SocketChardev() override
    {
        drop_client();
        m_loop.remove(m_listener.get());
        if (!m_unlink_path.empty())
            ::unlink(m_unlink_path.c_str());
    }

    Result<void> start()
    {
        return m_loop.add(m_listener.get(), EPOLLIN, [this](uint32_t) { accept_client(); });
    }

    void write(std::span<const uint8_t> bytes) override
    {
        if (!m_client)
            return;
        while (!bytes.empty()) {
            ssize_t sent = ::send(m_client.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (sent <= 0)
                return; // a slow or gone client loses output rather than stalling the guest
            bytes = bytes.subspan(static_cast<size_t>(sent));
        }
    }

private:
    void accept_client()
    {
        int fd = ::accept4(m_listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        if (m_client) {
            ::close(fd); // one client at a time
            return;
        }
        m_client = UniqueFd(fd);
        if (!m_loop.add(fd, EPOLLIN | EPOLLRDHUP, [this](uint32_t) { read_client(); }))
            drop_client();
    }

    void read_client()
    {
        std::array<uint8_t, 4096> buffer;
        ssize_t count = ::read(m_client.get(), buffer.data(), buffer.size());
        if (count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR)) {
            drop_client();
            return;
        }
        if (count > 0 && m_sink)
            m_sink(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(count)));
    }

    void drop_client()
    {
        if (!m_client)
            return;
        m_loop.remove(m_client.get());
        m_client.reset();
    }

    EventLoop& m_loop;
    UniqueFd m_listener;
    UniqueFd m_client;
    std::string m_unlink_path;
};

Result<std::shared_ptr<Chardev>> create_socket_chardev(EventLoop& loop, const ChardevConfig& config)
{
    auto listener = TRY(open_socket_listener(config));
    auto chardev = std::make_shared<SocketChardev>(loop, std::move(listener.fd), std::move(listener.unlink_path));
    TRY(chardev->start());
    return chardev;
}

} // namespace

Result<std::shared_ptr<Chardev>> create_chardev(EventLoop& loop, const ChardevConfig& config)
{
    if (config.backend == "null")
        return std::make_shared<FdChardev>(std::make_unique<NullSerialOutput>());
    if (config.backend == "stdio")
        return std::make_shared<FdChardev>(std::make_unique<FdSerialOutput>(STDOUT_FILENO));
    if (config.backend == "file") {
        auto path = config.options.at("path");
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            return errno_error("-chardev file: {}", path);
        return std::make_shared<FdChardev>(std::make_unique<FdSerialOutput>(UniqueFd(fd)));
    }
    if (config.backend == "socket")
        return create_socket_chardev(loop, config);
    return make_error("-chardev {}: unsupported back end for this device", config.backend);
}

} // namespace vireo
