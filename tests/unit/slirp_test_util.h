#pragma once
// Frames and ports for the user-mode network's tests: a guest's DHCPDISCOVER, a free loopback
// port for a hostfwd.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace vireo::test {

constexpr uint8_t k_guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

inline void put16(std::vector<uint8_t>& frame, size_t offset, uint16_t value)
{
    frame[offset] = static_cast<uint8_t>(value >> 8);
    frame[offset + 1] = static_cast<uint8_t>(value);
}

inline uint16_t get16(const uint8_t* bytes) { return static_cast<uint16_t>(bytes[0] << 8 | bytes[1]); }

// Ethernet + IPv4 + UDP 68->67 + a BOOTP DHCPDISCOVER (RFC 2131), padded to the full BOOTP size.
inline std::vector<uint8_t> dhcp_discover()
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

inline uint16_t free_loopback_port()
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

} // namespace vireo::test
