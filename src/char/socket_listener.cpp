#include "char/socket_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "base/log.h"

namespace vireo {

namespace {

std::string option(const ChardevConfig& config, const char* key)
{
    auto it = config.options.find(key);
    return it == config.options.end() ? std::string() : it->second;
}


Result<UniqueFd> listen_tcp(std::string host, const std::string& port)
{
    if (host.empty() || host == "localhost")
        host = "127.0.0.1";
    sockaddr_in address {};
    address.sin_family = AF_INET;
    char* end = nullptr;
    unsigned long number = std::strtoul(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || number == 0 || number > 65535)
        return make_error("bad port '{}'", port);
    address.sin_port = htons(static_cast<uint16_t>(number));
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1)
        return make_error("bad host address '{}' (an IPv4 address)", host);
    UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listener)
        return errno_error("socket");
    int one = 1;
    ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0)
        return errno_error("cannot listen on {}:{}", host, port);
    // Neither QMP nor a chardev asks who connects: beyond loopback, anyone who reaches the port
    // drives the VM or its console. Said once per run.
    constexpr uint32_t k_loopback_net = 0x7f000000, k_loopback_mask = 0xff000000;
    static std::atomic<bool> warned { false };
    if ((ntohl(address.sin_addr.s_addr) & k_loopback_mask) != k_loopback_net && !warned.exchange(true)) {
        log_warn("tcp:{}:{} listens beyond loopback without authentication: anyone who can reach it controls "
                 "the VM (QMP) or its console; prefer a Unix socket or 127.0.0.1",
            host, port);
    }
    return listener;
}

// fd=N: a descriptor this process inherited, which must be a listening stream socket.
Result<UniqueFd> adopt_listener(const std::string& text)
{
    char* end = nullptr;
    long number = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || number < 0 || number > INT32_MAX)
        return make_error("bad fd '{}'", text);
    int fd = static_cast<int>(number);
    int accepting = 0;
    socklen_t length = sizeof(accepting);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) < 0)
        return errno_error("fd {} is not a socket", fd);
    if (!accepting)
        return make_error("fd {} is not a listening socket", fd);
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return errno_error("fd {}", fd);
    return UniqueFd(fd);
}

} // namespace

Result<SocketListener> open_socket_listener(const ChardevConfig& config)
{
    auto fail = [&](const Error& error) {
        return std::unexpected(Error { error.code, fmt::format("-chardev socket,id={}: {}", config.id, error.message) });
    };
    if (option(config, "server") != "on")
        return fail(Error { 0, "only server=on is supported" });
    SocketListener listener;
    // QEMU's default for a server is to wait for a client (wait=on).
    listener.wait = option(config, "wait") != "off";
    Result<UniqueFd> fd;
    if (auto path = option(config, "path"); !path.empty()) {
        fd = bind_unix_socket(path);
        if (fd)
            listener.unlink_path = path;
        listener.description = fmt::format("unix:{},server=on", path);
    } else if (auto inherited = option(config, "fd"); !inherited.empty()) {
        fd = adopt_listener(inherited);
        listener.description = fmt::format("fd:{},server=on", inherited);
    } else {
        fd = listen_tcp(option(config, "host"), option(config, "port"));
        listener.description = fmt::format("tcp:{}:{},server=on", option(config, "host"), option(config, "port"));
    }
    if (!fd)
        return fail(fd.error());
    if (::listen(fd->get(), 16) < 0)
        return fail(Error { errno, "listen" });
    listener.fd = std::move(*fd);
    return listener;
}

Result<UniqueFd> bind_unix_socket(const std::string& path)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path))
        return make_error("socket path {} is too long", path);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listener)
        return errno_error("socket");
    // On Linux the mode of an unbound socket is the mode its file gets at bind() (less the
    // umask): no moment where another user could connect, and no chmod by path after it (which
    // the sandbox would have to allow for sockets made at each reset).
    ::fchmod(listener.get(), 0600);
    ::unlink(path.c_str());
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0)
        return errno_error("cannot listen on {}", path);
    return listener;
}

} // namespace vireo
