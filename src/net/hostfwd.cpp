#include "net/hostfwd.h"

#include <arpa/inet.h>

#include <charconv>
#include <string>

namespace vireo {

namespace {

Result<in_addr> parse_address(std::string_view text, in_addr fallback, std::string_view rule)
{
    if (text.empty())
        return fallback;
    std::string copy(text);
    in_addr address {};
    if (::inet_pton(AF_INET, copy.c_str(), &address) != 1)
        return make_error("hostfwd {}: invalid IPv4 address '{}'", rule, text);
    return address;
}

Result<uint16_t> parse_port(std::string_view text, bool allow_zero, std::string_view rule)
{
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535 || (!allow_zero && value == 0))
        return make_error("hostfwd {}: invalid port '{}'", rule, text);
    return static_cast<uint16_t>(value);
}

// "addr:port" with addr optional.
Result<std::pair<std::string_view, std::string_view>> split_endpoint(std::string_view text, std::string_view rule)
{
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return make_error("hostfwd {}: expected [addr]:port, got '{}'", rule, text);
    return std::pair { text.substr(0, colon), text.substr(colon + 1) };
}

} // namespace

Result<HostForward> parse_hostfwd(std::string_view rule)
{
    HostForward forward;
    size_t colon = rule.find(':');
    if (colon == std::string_view::npos)
        return make_error("hostfwd {}: expected [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport", rule);
    std::string_view protocol = rule.substr(0, colon);
    if (protocol.empty() || protocol == "tcp")
        forward.protocol = ForwardProtocol::Tcp;
    else if (protocol == "udp")
        forward.protocol = ForwardProtocol::Udp;
    else
        return make_error("hostfwd {}: unknown protocol '{}'", rule, protocol);

    std::string_view rest = rule.substr(colon + 1);
    size_t dash = rest.find('-');
    if (dash == std::string_view::npos)
        return make_error("hostfwd {}: missing '-' between host and guest side", rule);
    auto [host_addr, host_port] = TRY(split_endpoint(rest.substr(0, dash), rule));
    auto [guest_addr, guest_port] = TRY(split_endpoint(rest.substr(dash + 1), rule));

    in_addr loopback {};
    loopback.s_addr = htonl(INADDR_LOOPBACK);
    forward.host_addr = TRY(parse_address(host_addr, loopback, rule));
    forward.host_port = TRY(parse_port(host_port, true, rule));
    forward.guest_addr = TRY(parse_address(guest_addr, in_addr {}, rule));
    forward.guest_port = TRY(parse_port(guest_port, false, rule));
    return forward;
}

} // namespace vireo
