// Fuzz target for vireo's side of RFB: a VncServer on a Unix socket (its display thread, its
// QEMU extended key event, its input queue to the loop) fed arbitrary client bytes over a real
// connection, with the guest's screen resized and the password changed between connections.
// libvncserver's parsing is theirs; what is checked here is that vireo survives whatever the
// client sends and that the input router only ever receives sane events (a key with a set-1
// code, pointer positions on the screen and buttons as RFB can express them).
//
// Input: bytes 1-2 name the screen's size as the input starts; byte 0 selects what the harness
// does (bit 0: speak the handshake (version, VNC authentication, ClientInit) first, so the rest
// reaches the message parser; bit 1: resize the screen halfway through, to bytes 1-2 swapped;
// bit 2: change the password first (to bytes 3-10), so the handshake fails), then the client's
// bytes from byte 11.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <rfb/rfb.h>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "base/unique_fd.h"
#include "devices/display/display_surface.h"
#include "ui/vnc_server.h"

using namespace vireo;

namespace {

constexpr char k_password[] = "fuzzpass";
constexpr size_t k_header = 11;

// Called on the event loop's thread with what the display thread queued.
class SaneInput final : public UserInput {
public:
    void key_event(PcKey key, bool) override
    {
        if (key.code == 0 || key.code >= 0x80)
            __builtin_trap();
    }
    void pointer_event(const PointerEvent& event) override
    {
        // On the screen, wherever the client pointed or however it asked to scale (a SetScale
        // once multiplied positions past it); motion is then at most the larger screen's size.
        bool screen_ok = event.width > 0 && event.height > 0 && event.width <= 4096 && event.height <= 4096;
        bool position_ok = event.x >= 0 && uint32_t(event.x) < event.width && event.y >= 0 && uint32_t(event.y) < event.height;
        bool motion_ok = std::abs(event.dx) < 4096 && std::abs(event.dy) < 4096;
        if (!position_ok || !motion_ok || !screen_ok || (event.buttons & ~0x07) != 0 || std::abs(event.wheel) > 1)
            __builtin_trap();
    }
};

// The guest's screens: every size an input can ask for (see resize) is the top left of one
// pattern made once per process, so that a resize costs the server's work and not the
// harness's (drawing a new screen per input was a fifth of an input's CPU).
constexpr uint32_t k_max_width = 8 + 255 * 4;
constexpr uint32_t k_max_height = 8 + 255 * 3;

const std::vector<uint32_t>& pattern()
{
    static const std::vector<uint32_t> pixels = [] {
        std::vector<uint32_t> made(size_t { k_max_width } * k_max_height);
        for (uint32_t y = 0; y < k_max_height; ++y) {
            for (uint32_t x = 0; x < k_max_width; ++x)
                made[size_t { y } * k_max_width + x] = (x * 7) ^ (y << 8);
        }
        return made;
    }();
    return pixels;
}

// A display source that draws the pattern's top left, `width` by `height`, whole into the
// consumer's surface.
struct WholeScreen final : DisplaySource {
    DisplayUpdate render_update(uint64_t, DisplaySurface& surface, Redraw) override
    {
        (void)surface.resize(width, height);
        for (uint32_t y = 0; y < height; ++y)
            std::copy_n(pattern().data() + size_t { y } * k_max_width, width, surface.row(y));
        return DisplayUpdate { .resized = true, .rects = {} };
    }
    uint32_t width = 0;
    uint32_t height = 0;
};

struct Harness {
    Harness()
    {
        std::signal(SIGPIPE, SIG_IGN);
        dir = std::filesystem::temp_directory_path() / ("vireo-rfb-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        path = (dir / "vnc.sock").string();
        loop = std::move(*EventLoop::create());
        VncServerOptions options;
        options.config.unix_path = path;
        options.config.text = "unix:" + path;
        options.config.password = true;
        options.desktop_name = "fuzz";
        options.password = k_password;
        auto created = VncServer::create(*loop, std::move(options));
        if (!created)
            __builtin_trap();
        server = std::move(*created);
        (void)server->attach(nullptr, &input);
        (void)loop->add(barrier.fd(), EPOLLIN, [this](uint32_t) {
            barrier.consume();
            std::lock_guard guard(barrier_lock);
            ++barriers_passed;
            barrier_passed.notify_all();
        });
        loop_thread = std::thread([this] { loop->run(); });
    }
    // Returns once the loop has handled every fd that was ready before the call: the first
    // pass may share an epoll batch with the input's doorbell and run before it, the second
    // comes from a later epoll_wait. So a trap in SaneInput names the input that caused it.
    void drain_loop()
    {
        for (int pass = 0; pass < 2; ++pass) {
            std::unique_lock guard(barrier_lock);
            uint64_t target = barriers_passed + 1;
            barrier.signal();
            barrier_passed.wait(guard, [&] { return barriers_passed >= target; });
        }
    }
    ~Harness()
    {
        loop->stop();
        loop_thread.join();
        server.reset();
        std::filesystem::remove_all(dir);
    }

    std::filesystem::path dir;
    std::string path;
    std::unique_ptr<EventLoop> loop;
    SaneInput input;
    std::unique_ptr<VncServer> server;
    std::thread loop_thread;
    EventFd barrier = std::move(*EventFd::create());
    std::mutex barrier_lock;
    std::condition_variable barrier_passed;
    uint64_t barriers_passed = 0;
    WholeScreen screen; // the size the guest shows (set by each input first)
};

Harness& harness()
{
    static Harness instance;
    return instance;
}

UniqueFd connect_to(const std::string& path)
{
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    timeval timeout { 2, 0 };
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0)
        return {};
    return fd;
}

bool read_exact(int fd, uint8_t* bytes, size_t count)
{
    size_t done = 0;
    while (done < count) {
        ssize_t n = ::recv(fd, bytes + done, count - done, 0);
        if (n <= 0)
            return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

void send_all(int fd, const uint8_t* bytes, size_t count)
{
    while (count > 0) {
        ssize_t n = ::send(fd, bytes, count, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        bytes += n;
        count -= static_cast<size_t>(n);
    }
}

// RFB 3.8 with VNC authentication (RFC 6143 §7.1-7.3); false when the server refuses.
bool handshake(int fd)
{
    // The client's version goes first: libvncserver peeks (up to 100 ms) at a new connection
    // for a WebSocket handshake before it greets, and this ends the wait.
    uint8_t buffer[64];
    send_all(fd, reinterpret_cast<const uint8_t*>("RFB 003.008\n"), 12);
    if (!read_exact(fd, buffer, 12))
        return false;
    if (!read_exact(fd, buffer, 1) || buffer[0] == 0 || !read_exact(fd, buffer + 1, buffer[0]))
        return false;
    uint8_t vnc_auth = 2;
    send_all(fd, &vnc_auth, 1);
    uint8_t challenge[16];
    if (!read_exact(fd, challenge, sizeof(challenge)))
        return false;
    char key[] = "fuzzpass";
    rfbEncryptBytes(challenge, key);
    send_all(fd, challenge, sizeof(challenge));
    if (!read_exact(fd, buffer, 4) || buffer[3] != 0)
        return false;
    uint8_t shared = 1;
    send_all(fd, &shared, 1);
    if (!read_exact(fd, buffer, 24))
        return false;
    uint32_t name_length = (uint32_t { buffer[20] } << 24) | (uint32_t { buffer[21] } << 16) | (uint32_t { buffer[22] } << 8) | buffer[23];
    return name_length < sizeof(buffer) && read_exact(fd, buffer, name_length);
}

// The guest changes mode: a whole new screen, as the display refresh hands it over.
void resize(Harness& h, uint8_t a, uint8_t b)
{
    const uint32_t width = 8 + (uint32_t { a } * 4);
    const uint32_t height = 8 + (uint32_t { b } * 3);
    if (width == h.screen.width && height == h.screen.height)
        return;
    h.screen.width = width;
    h.screen.height = height;
    (void)h.server->refresh_from(h.screen, 0, Redraw::Everything);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < k_header)
        return 0;
    auto& h = harness();
    // The screen an input starts from is the one it names, so that it does the same whether it
    // runs first or after another (a client's ServerInit says the size). Only a new size costs
    // the server a resize.
    resize(h, data[1], data[2]);
    uint8_t flags = data[0];
    if (flags & 0x04)
        (void)h.server->set_password(std::string(reinterpret_cast<const char*>(data + 3), 8));
    auto fd = connect_to(h.path);
    if (!fd)
        __builtin_trap(); // the server stopped listening
    const uint8_t* body = data + k_header;
    size_t length = size - k_header;
    bool speaking = !(flags & 0x01) || handshake(fd.get());
    if (speaking) {
        size_t half = length / 2;
        send_all(fd.get(), body, half);
        if (flags & 0x02)
            resize(h, data[2], data[1]);
        send_all(fd.get(), body + half, length - half);
    }
    // The client is done: the server reads to the end of its bytes and then drops it.
    ::shutdown(fd.get(), SHUT_WR);
    uint8_t sink[65536];
    while (::recv(fd.get(), sink, sizeof(sink), 0) > 0) {
    }
    // The server closed the connection after it read the last message, so every event the
    // input caused is queued by now; it is delivered before the next input starts.
    h.drain_loop();
    if (flags & 0x04)
        (void)h.server->set_password(std::string(k_password));
    return 0;
}
