#pragma once
// Parsing of QEMU's user-network port forwarding rules:
//   hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport
#include <netinet/in.h>

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace vireo {

enum class ForwardProtocol { Tcp, Udp };

struct HostForward {
    ForwardProtocol protocol = ForwardProtocol::Tcp;
    in_addr host_addr {};   // network byte order; an empty hostaddr means 127.0.0.1 (see below)
    uint16_t host_port = 0;
    in_addr guest_addr {};  // 0: the guest's DHCP address
    uint16_t guest_port = 0;
};

// Parses one rule. Unlike QEMU, an empty hostaddr binds 127.0.0.1, not every interface:
// forwarded guest ports are reachable from this machine only unless an address is named.
[[nodiscard]] Result<HostForward> parse_hostfwd(std::string_view rule);

} // namespace vireo
