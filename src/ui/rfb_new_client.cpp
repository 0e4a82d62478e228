#include "ui/rfb_new_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

#include <rfb/rfb.h>

namespace vireo {

namespace {

// libvncserver's client setup, done here for the socket it never sees at rfbNewClient.
void set_up_like_libvncserver(int fd)
{
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
        ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); // fails, harmlessly, on a Unix socket
}

// The client's address, as libvncserver keeps it (numeric; empty for a Unix socket).
void set_host(rfbClientPtr client, int fd)
{
    sockaddr_storage address {};
    socklen_t length = sizeof(address);
    char text[INET6_ADDRSTRLEN] = "";
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
        if (address.ss_family == AF_INET)
            ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof(text));
        else if (address.ss_family == AF_INET6)
            ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address)->sin6_addr, text, sizeof(text));
    }
    char* host = ::strdup(text);
    if (!host)
        return;
    std::free(client->host);
    client->host = host;
}

void give_up(rfbClientPtr client)
{
    rfbCloseClient(client);
    rfbClientConnectionGone(client);
}

} // namespace

rfbClientPtr rfb_new_client(rfbScreenInfoPtr screen, UniqueFd fd, bool spoke)
{
    if (spoke)
        return rfbNewClient(screen, fd.release()); // libvncserver closes it if it refuses

    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return nullptr;
    UniqueFd stand_in(pair[0]);
    UniqueFd peer(pair[1]);
    // What a client that speaks first says (libvncserver then takes it for plain RFB).
    if (::write(peer.get(), "RFB ", 4) != 4)
        return nullptr;
    set_up_like_libvncserver(fd.get());
    rfbClientPtr client = rfbNewClient(screen, stand_in.release());
    if (!client)
        return nullptr;
    // The client's socket takes the stand-in's number (closing the stand-in in the same step),
    // so libvncserver's records of the number stay true.
    int number = client->sock;
    if (::dup3(fd.get(), number, O_CLOEXEC) < 0) {
        give_up(client);
        return nullptr;
    }
    fd.reset();
    set_host(client, number);
    // The greeting (RFC 6143 §7.1.1, ProtocolVersion) libvncserver wrote to the stand-in.
    char greeting[64];
    ssize_t length = ::recv(peer.get(), greeting, sizeof(greeting), MSG_DONTWAIT);
    if (length <= 0 || ::write(number, greeting, static_cast<size_t>(length)) != length) {
        give_up(client);
        return nullptr;
    }
    return client;
}

} // namespace vireo
