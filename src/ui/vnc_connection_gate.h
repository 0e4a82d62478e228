#pragma once
// Holds each new VNC connection on the display thread's loop until libvncserver can take it
// without waiting. libvncserver's rfbNewClient (0.9.14) first peeks at the socket for up to
// 100 ms for a WebSocket handshake, blocking the display thread, and a client that sends one to
// three bytes there and stops (or half-closes) makes that peek spin for ever: its partial peek
// looks like "try again" and select() keeps saying readable. The gate watches the connection
// instead and says what the client is:
//   - it spoke: 4 bytes or more (for a WebSocket "GET ", the whole HTTP header), so the peek
//     finds them at once;
//   - it stayed silent for `silence` (an RFB client, which waits for the server to greet it);
//   - anything else (closed early, a few bytes and then nothing, an endless header) is dropped.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>

#include "base/event_loop.h"
#include "base/result.h"
#include "base/timer_fd.h"
#include "base/unique_fd.h"

namespace vireo {

struct VncConnectionGateOptions {
    // No bytes in this long: an RFB client (libvncserver's own wait for a WebSocket handshake).
    std::chrono::milliseconds silence { 100 };
    // A client that began to speak has this long from its connection to finish its first words.
    std::chrono::milliseconds first_words { 2000 };
    // Connections waiting at once; past this a new one is dropped.
    size_t max_waiting = 64;
};

class VncConnectionGate {
public:
    // The largest WebSocket handshake header libvncserver takes.
    static constexpr size_t k_max_header = 4096;

    // Called on the loop's thread with a connection libvncserver may take now; `spoke` as above.
    using Admit = std::function<void(UniqueFd fd, bool spoke)>;

    [[nodiscard]] static Result<std::unique_ptr<VncConnectionGate>> create(EventLoop& loop, Admit admit,
        VncConnectionGateOptions options = {});
    ~VncConnectionGate();
    VncConnectionGate(const VncConnectionGate&) = delete;
    VncConnectionGate& operator=(const VncConnectionGate&) = delete;

    // A connection just accepted. Its fd number must be free on the loop.
    void add(UniqueFd fd);
    [[nodiscard]] size_t waiting() const { return m_waiting.size(); }

private:
    using Clock = std::chrono::steady_clock;
    struct Waiting {
        UniqueFd fd;
        Clock::time_point accepted;
        bool heard = false; // some bytes came, not yet enough
    };

    VncConnectionGate(EventLoop& loop, Admit admit, VncConnectionGateOptions options, TimerFd timer);
    void examine(int fd, uint32_t events);
    void expire();
    void rearm();
    void admit(int fd, bool spoke);
    void drop(int fd);
    [[nodiscard]] Clock::time_point deadline(const Waiting& waiting) const;

    EventLoop& m_loop;
    Admit m_admit;
    VncConnectionGateOptions m_options;
    TimerFd m_timer;
    std::map<int, Waiting> m_waiting;
};

} // namespace vireo
