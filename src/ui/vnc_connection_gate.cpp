#include "ui/vnc_connection_gate.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <vector>

#include "base/log.h"

namespace vireo {

namespace {

// Whether the first bytes are enough for libvncserver to decide at once: 4 bytes, and for a
// WebSocket upgrade (RFC 6455 §4.1) the whole request header up to its empty line.
bool enough(std::string_view head)
{
    if (head.size() < 4)
        return false;
    if (head.substr(0, 4) != "GET ")
        return true;
    return head.find("\r\n\r\n") != std::string_view::npos;
}

// libvncserver 0.9.14's WebSocket handshake keeps a copy of the path of every request line
// ("GET ...") it reads and frees only the last, so a header that repeats the request line
// leaked the others: up to 4 KiB a connection, without end (found by fuzz_rfb). HTTP has one
// request line (RFC 9112 §2.1, §3), so such a header is refused before libvncserver reads it.
// The header is split as libvncserver splits it: a line ends at a '\n' that is not its first
// byte, a line "GET " of 16 bytes or more is a request line, a line "\r\n" ends the header.
bool repeats_request_line(std::string_view head)
{
    int request_lines = 0;
    size_t start = 0;
    for (size_t at = 0; at < head.size(); ++at) {
        if (head[at] != '\n' || at == start)
            continue;
        std::string_view line = head.substr(start, at - start + 1);
        start = at + 1;
        if (line == "\r\n")
            break;
        if (line.size() >= 16 && line.starts_with("GET "))
            ++request_lines;
    }
    return request_lines > 1;
}

} // namespace

Result<std::unique_ptr<VncConnectionGate>> VncConnectionGate::create(EventLoop& loop, Admit admit,
    VncConnectionGateOptions options)
{
    auto timer = TRY(TimerFd::create());
    std::unique_ptr<VncConnectionGate> gate(new VncConnectionGate(loop, std::move(admit), options, std::move(timer)));
    TRY(loop.add(gate->m_timer.fd(), EPOLLIN, [gate = gate.get()](uint32_t) { gate->expire(); }));
    return gate;
}

VncConnectionGate::VncConnectionGate(EventLoop& loop, Admit admit, VncConnectionGateOptions options, TimerFd timer)
    : m_loop(loop)
    , m_admit(std::move(admit))
    , m_options(options)
    , m_timer(std::move(timer))
{
}

VncConnectionGate::~VncConnectionGate()
{
    for (auto& [fd, waiting] : m_waiting)
        m_loop.remove(fd);
    m_loop.remove(m_timer.fd());
}

void VncConnectionGate::add(UniqueFd fd)
{
    if (m_waiting.size() >= m_options.max_waiting) {
        VIREO_GUEST_WARN("vnc: {} connections waiting already, one more dropped", m_waiting.size());
        return;
    }
    int number = fd.get();
    // Edge-triggered: a client that sent a few bytes does not wake the loop again until more
    // come (or it hangs up). Adding reports what is there already.
    auto added = m_loop.add(number, EPOLLIN | EPOLLRDHUP | EPOLLET, [this, number](uint32_t events) { examine(number, events); });
    if (!added) {
        log_warn("vnc: {}", added.error().describe());
        return;
    }
    m_waiting.emplace(number, Waiting { .fd = std::move(fd), .accepted = Clock::now() });
    rearm();
}

void VncConnectionGate::examine(int fd, uint32_t events)
{
    auto it = m_waiting.find(fd);
    if (it == m_waiting.end())
        return;
    std::array<char, k_max_header> head;
    ssize_t n = ::recv(fd, head.data(), head.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            drop(fd);
        return;
    }
    if (n == 0) {
        drop(fd); // gone before a word
        return;
    }
    std::string_view words(head.data(), static_cast<size_t>(n));
    if (enough(words)) {
        if (words.starts_with("GET ") && repeats_request_line(words)) {
            VIREO_GUEST_WARN("vnc: a WebSocket handshake with more than one request line, dropped");
            drop(fd);
            return;
        }
        admit(fd, true);
        return;
    }
    bool hung_up = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    if (hung_up || static_cast<size_t>(n) == head.size()) {
        drop(fd); // will say no more, or a header longer than any handshake
        return;
    }
    it->second.heard = true;
    rearm();
}

void VncConnectionGate::expire()
{
    m_timer.consume();
    auto now = Clock::now();
    std::vector<std::pair<int, bool>> due; // fd, silent
    for (const auto& [fd, waiting] : m_waiting) {
        if (deadline(waiting) <= now)
            due.emplace_back(fd, !waiting.heard);
    }
    for (auto [fd, silent] : due) {
        if (silent)
            admit(fd, false);
        else
            drop(fd); // began and did not finish
    }
    rearm();
}

VncConnectionGate::Clock::time_point VncConnectionGate::deadline(const Waiting& waiting) const
{
    return waiting.accepted + (waiting.heard ? m_options.first_words : m_options.silence);
}

void VncConnectionGate::rearm()
{
    if (m_waiting.empty())
        return;
    auto earliest = Clock::time_point::max();
    for (const auto& [fd, waiting] : m_waiting)
        earliest = std::min(earliest, deadline(waiting));
    auto delay = std::chrono::duration_cast<std::chrono::microseconds>(earliest - Clock::now());
    m_timer.arm(std::max(delay, std::chrono::microseconds(0)));
}

void VncConnectionGate::admit(int fd, bool spoke)
{
    auto it = m_waiting.find(fd);
    UniqueFd socket = std::move(it->second.fd);
    m_waiting.erase(it);
    m_loop.remove(fd);
    m_admit(std::move(socket), spoke);
}

void VncConnectionGate::drop(int fd)
{
    m_loop.remove(fd);
    m_waiting.erase(fd);
}

} // namespace vireo
