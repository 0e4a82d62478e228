#include "ui/vnc_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>

#include <gcrypt.h>
#include <rfb/rfb.h>
extern "C" {
#include <rfb/rfbregion.h> // not wrapped for C++ as rfb.h is
}

#include <algorithm>
#include <array>
#include <cstdarg>
#include <cstring>
#include <string_view>

#include "base/log.h"
#include "base/read_file.h"
#include "char/socket_listener.h"
#include "sandbox/thread_spawner.h"
#include "ui/qemu_key_event.h"
#include "ui/rfb_new_client.h"
#include "ui/scroll_finder.h"

namespace vireo {

namespace {

// How long libvncserver waits for the rest of a message a client began (or for room to write
// in its socket) before it drops that client. The display thread (and so the other clients)
// waits meanwhile, so it is short; the event loop does not wait.
constexpr int k_max_client_wait_ms = 1000;
// Dirty rectangles staged for the display thread beyond this many become their bounding box.
constexpr size_t k_max_staged_rects = 64;
constexpr size_t k_max_clients = 64;
constexpr uint64_t k_max_secret_size = 64 << 10;

// libvncserver's log lines: vireo shows them with VIREO_DEBUG only (a dropped client is not news).
void vnc_log(const char* format, ...)
{
    if (!debug_enabled())
        return;
    char line[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(line, sizeof(line), format, args);
    va_end(args);
    std::string text(line);
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    log_warn("vnc: {}", text);
}

VncServer* server_of(rfbClientPtr client)
{
    return static_cast<VncServer*>(client->screen->screenData);
}

Result<UniqueFd> listen_unix(const std::string& path)
{
    auto listener = TRY(bind_unix_socket(path));
    if (::listen(listener.get(), 16) < 0)
        return errno_error("listen on unix:{}", path);
    return listener;
}

std::string address_text(const sockaddr* address)
{
    char host[INET6_ADDRSTRLEN] = "?";
    uint16_t port = 0;
    if (address->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
        return fmt::format("[{}]:{}", host, port);
    }
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
    return fmt::format("{}:{}", host, port);
}

// Every address `host` names (QEMU: an empty host is every address, IPv4 and IPv6), one
// listening socket each. An IPv6 socket takes IPv6 only, so the IPv4 one binds too.
Result<std::vector<UniqueFd>> listen_tcp(const std::string& host, uint16_t port, std::vector<std::string>& names)
{
    addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    auto service = std::to_string(port);
    int status = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
    if (status != 0)
        return make_error("cannot resolve '{}': {}", host, ::gai_strerror(status));
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
    std::vector<UniqueFd> sockets;
    for (addrinfo* info = found; info; info = info->ai_next) {
        UniqueFd fd(::socket(info->ai_family, info->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, info->ai_protocol));
        if (!fd) {
            if (errno == EAFNOSUPPORT)
                continue; // a host without IPv6
            return errno_error("socket");
        }
        int one = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (info->ai_family == AF_INET6)
            ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        auto name = address_text(info->ai_addr);
        if (::bind(fd.get(), info->ai_addr, info->ai_addrlen) < 0) {
            if (errno == EADDRNOTAVAIL && host.empty())
                continue;
            return errno_error("cannot listen on {}", name);
        }
        if (::listen(fd.get(), 16) < 0)
            return errno_error("listen on {}", name);
        sockets.push_back(std::move(fd));
        names.push_back(std::move(name));
    }
    if (sockets.empty())
        return make_error("no address to listen on for '{}'", host);
    return sockets;
}

bool is_loopback(const std::string& host)
{
    if (host == "localhost" || host == "::1" || host == "ip6-localhost")
        return true;
    in_addr address {};
    return ::inet_pton(AF_INET, host.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

} // namespace

// libvncserver calls an enabled extension for each encoding of a SetEncodings it does not know
// itself, and for each message type it does not know, with only the type byte read.
struct VncExtensionHooks {
    static rfbBool enable_pseudo_encoding(rfbClientPtr client, void**, int encoding)
    {
        if (encoding != k_rfb_encoding_qemu_key_event)
            return FALSE;
        return server_of(client)->enable_qemu_keys(client) ? TRUE : FALSE;
    }
    static rfbBool handle_message(rfbClientPtr client, void*, const rfbClientToServerMsg* message)
    {
        if (message->type != k_rfb_message_qemu)
            return FALSE;
        return server_of(client)->qemu_message(client) ? TRUE : FALSE;
    }
};

Result<std::string> read_vnc_secret(const VmConfig& config, const std::string& id)
{
    for (const auto& secret : config.secrets) {
        if (secret.id != id)
            continue;
        if (secret.file.empty())
            return secret.data;
        auto bytes = read_whole_file(secret.file, k_max_secret_size);
        if (!bytes)
            return make_error("secret '{}': {}", id, bytes.error().describe());
        return std::string(bytes->begin(), bytes->end());
    }
    return make_error("no secret object with id '{}'", id);
}

VncServer::VncServer(EventLoop& loop, std::unique_ptr<EventLoop> display_loop, EventFd frame_ready,
    EventFd input_ready, EventFd frame_wanted, VncServerOptions options)
    : m_loop(loop)
    , m_display_loop(std::move(display_loop))
    , m_frame_ready(std::move(frame_ready))
    , m_input_ready(std::move(input_ready))
    , m_frame_wanted(std::move(frame_wanted))
    , m_options(std::move(options))
    , m_keymap(m_options.keymap ? *m_options.keymap : *find_keymap("en-us"))
{
    const auto& config = m_options.config;
    m_authenticate = config.password || !config.password_secret.empty();
    m_password = m_options.password;
    m_qemu_encodings[0] = k_rfb_encoding_qemu_key_event;
    m_qemu_encodings[1] = 0;
    m_qemu_extension = std::make_unique<rfbProtocolExtension>();
    m_qemu_extension->pseudoEncodings = m_qemu_encodings;
    m_qemu_extension->enablePseudoEncoding = VncExtensionHooks::enable_pseudo_encoding;
    m_qemu_extension->handleMessage = VncExtensionHooks::handle_message;
}

Result<std::unique_ptr<VncServer>> VncServer::create(EventLoop& loop, VncServerOptions options)
{
    auto display_loop = TRY(EventLoop::create(EventLoop::Scheduling::Unchanged));
    auto frame_ready = TRY(EventFd::create());
    auto input_ready = TRY(EventFd::create());
    auto frame_wanted = TRY(EventFd::create());
    std::unique_ptr<VncServer> server(new VncServer(loop, std::move(display_loop), std::move(frame_ready),
        std::move(input_ready), std::move(frame_wanted), std::move(options)));
    TRY(server->open_listeners());
    TRY(server->start_screen());
    TRY(server->start_thread());
    return server;
}

Result<void> VncServer::open_listeners()
{
    const auto& config = m_options.config;
    auto fail = [&](const Error& error) {
        return std::unexpected(Error { error.code, fmt::format("-vnc {}: {}", config.text, error.message) });
    };
    std::vector<std::string> names;
    std::vector<UniqueFd> sockets;
    if (!config.unix_path.empty()) {
        auto fd = listen_unix(config.unix_path);
        if (!fd)
            return fail(fd.error());
        sockets.push_back(std::move(*fd));
        names.push_back("unix:" + config.unix_path);
    } else {
        if (k_base_port + config.display > 65535)
            return fail(Error { 0, "display number out of range" });
        auto tcp = listen_tcp(config.host, static_cast<uint16_t>(k_base_port + config.display), names);
        if (!tcp)
            return fail(tcp.error());
        for (auto& fd : *tcp)
            sockets.push_back(std::move(fd));
    }
    if (config.websocket_port) {
        // On the RFB listener's host (for a Unix socket: every address, as QEMU's websocket=PORT).
        auto host = config.unix_path.empty() ? config.host : std::string();
        auto ws = listen_tcp(host, *config.websocket_port, names);
        if (!ws)
            return fail(ws.error());
        for (auto& fd : *ws)
            sockets.push_back(std::move(fd));
    }
    bool beyond_loopback = config.unix_path.empty() && !is_loopback(config.host);
    if (beyond_loopback && !m_authenticate)
        log_warn("-vnc {}: the VNC server listens beyond this host without a password (password=on or "
                 "password-secret=)", config.text);
    for (size_t i = 0; i < sockets.size(); ++i) {
        int fd = sockets[i].get();
        TRY(m_display_loop->add(fd, EPOLLIN, [this, fd](uint32_t) { accept_client(fd); }));
        m_listeners.push_back(Listener { std::move(sockets[i]), names[i] });
    }
    return {};
}

Result<void> VncServer::start_screen()
{
    // libvncserver's DES (VNC authentication) and SHA-1 (WebSocket handshake) come from
    // libgcrypt, which must be initialised by the program before its first use: otherwise its
    // first call writes a warning to syslog, on the display thread under its filter.
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        if (!gcry_check_version(GCRYPT_VERSION))
            return make_error("-vnc {}: libgcrypt is older than the one vireo was built with", m_options.config.text);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    // libvncserver seeds random() for its authentication challenges on the first one, with
    // getpid(): done here, before the display thread's filter, which has no getpid.
    unsigned char unused_challenge[CHALLENGESIZE];
    rfbRandomBytes(unused_challenge);
    rfbLog = vnc_log;
    rfbErr = vnc_log;
    rfbMaxClientWait = k_max_client_wait_ms;
    int argc = 1;
    char program[] = "vireo";
    char* argv[] = { program, nullptr };
    m_frame.assign(size_t { m_width } * m_height, 0);
    m_screen = rfbGetScreen(&argc, argv, static_cast<int>(m_width), static_cast<int>(m_height), 8, 3, 4);
    if (!m_screen)
        return make_error("-vnc {}: cannot set up the VNC server", m_options.config.text);
    m_screen->screenData = this;
    m_screen->frameBuffer = reinterpret_cast<char*>(m_frame.data());
    // The surface's pixels are 0x00RRGGBB words.
    m_screen->serverFormat.redShift = 16;
    m_screen->serverFormat.greenShift = 8;
    m_screen->serverFormat.blueShift = 0;
    m_screen->desktopName = m_options.desktop_name.c_str();
    // vireo's sockets are the listeners: libvncserver opens none of its own.
    m_screen->socketState = RFB_SOCKET_READY;
    m_screen->autoPort = FALSE;
    m_screen->port = 0;
    m_screen->ipv6port = 0;
    m_screen->httpPort = 0;
    m_screen->httpDir = nullptr;
    m_screen->deferUpdateTime = 0; // the refresh timer paces updates already
    m_screen->kbdAddEvent = on_key;
    m_screen->ptrAddEvent = on_pointer;
    m_screen->permitFileTransfer = FALSE;
    switch (m_options.config.share) {
    case VncShare::AllowExclusive:
        m_screen->alwaysShared = FALSE;
        break;
    case VncShare::ForceShared:
    case VncShare::Ignore:
        m_screen->alwaysShared = TRUE; // an exclusive request disconnects no one
        break;
    }
    if (m_authenticate) {
        m_screen->authPasswdData = this; // non-null: libvncserver offers VNC authentication
        m_screen->passwordCheck = on_check_password;
    }
    rfbInitServer(m_screen);
    rfbSetCursor(m_screen, nullptr); // the guest draws its own pointer
    return {};
}

Result<void> VncServer::start_thread()
{
    m_gate = TRY(VncConnectionGate::create(*m_display_loop, [this](UniqueFd fd, bool spoke) { admit_client(std::move(fd), spoke); }));
    TRY(m_display_loop->add(m_frame_ready.fd(), EPOLLIN, [this](uint32_t) { take_frame(); }));
    TRY(m_loop.add(m_input_ready.fd(), EPOLLIN, [this](uint32_t) { deliver_input(); }));
    if (auto added = m_loop.add(m_frame_wanted.fd(), EPOLLIN, [this](uint32_t) { frame_wanted(); }); !added) {
        m_loop.remove(m_input_ready.fd());
        return std::unexpected(added.error());
    }
    try {
        m_thread = sandbox::spawn_thread(sandbox::ThreadKind::Display, "vnc", [this] { m_display_loop->run(); });
    } catch (const std::system_error& error) {
        m_loop.remove(m_input_ready.fd());
        m_loop.remove(m_frame_wanted.fd());
        return make_error("-vnc {}: cannot start the display thread: {}", m_options.config.text, error.what());
    }
    return {};
}

VncServer::~VncServer()
{
    detach();
    if (m_thread.joinable()) {
        m_loop.remove(m_input_ready.fd());
        m_loop.remove(m_frame_wanted.fd());
        m_display_loop->stop();
        m_thread.join();
    }
    // The display thread has ended: what was its own is this thread's now.
    m_closing = true;
    m_gate.reset(); // closes the connections still waiting
    for (auto& [client, state] : m_clients)
        m_display_loop->remove(state.fd);
    m_clients.clear();
    for (auto& listener : m_listeners)
        m_display_loop->remove(listener.fd.get());
    if (m_screen)
        rfbScreenCleanup(m_screen); // closes the clients
    if (!m_options.config.unix_path.empty())
        ::unlink(m_options.config.unix_path.c_str());
}

Result<void> VncServer::attach(DisplayRefresh* display, UserInput* input)
{
    detach();
    m_input = input;
    {
        // Events a client sent for the machine before this one are not this one's.
        std::lock_guard guard(m_input_lock);
        m_queued_input.clear();
    }
    if (display) {
        TRY(display->set_consumer(this));
        m_display = display;
    }
    return {};
}

void VncServer::detach()
{
    if (m_display)
        (void)m_display->set_consumer(nullptr);
    m_display = nullptr;
    m_input = nullptr;
}

bool VncServer::set_password(std::optional<std::string> password)
{
    if (!m_authenticate)
        return false;
    std::lock_guard guard(m_password_lock);
    m_password = std::move(password);
    return true;
}

void VncServer::accept_client(int listen_fd)
{
    while (true) {
        UniqueFd fd(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
        if (!fd)
            return; // EAGAIN, or a connection that went before we took it
        if (m_clients.size() + m_gate->waiting() >= k_max_clients) {
            VIREO_GUEST_WARN("vnc: {} clients already, one more refused", k_max_clients);
            continue;
        }
        forget_closed(fd.get());
        m_gate->add(std::move(fd));
    }
}

// The gate let a connection through: libvncserver takes it (and greets it, or answers its
// WebSocket handshake).
void VncServer::admit_client(UniqueFd fd, bool spoke)
{
    rfbClientPtr client = rfb_new_client(m_screen, std::move(fd), spoke);
    if (!client)
        return;
    int number = client->sock;
    forget_closed(number);
    client->clientGoneHook = on_client_gone;
    rfbEnableExtension(client, m_qemu_extension.get(), nullptr);
    auto added = m_display_loop->add(number, EPOLLIN, [this](uint32_t) { process(); });
    if (!added) {
        log_warn("vnc: {}", added.error().describe());
        rfbCloseClient(client);
        rfbClientConnectionGone(client);
        return;
    }
    m_clients.emplace(client, Client { .fd = number });
    m_client_count = m_clients.size();
}

// A number libvncserver closed but whose client it has not yet let go of (that comes on its
// next rfbProcessEvents) is a new connection's now: the old client's record goes first.
void VncServer::forget_closed(int number)
{
    for (auto it = m_clients.begin(); it != m_clients.end(); ++it) {
        if (it->second.fd == number) {
            m_display_loop->remove(number);
            m_clients.erase(it);
            m_client_count = m_clients.size();
            return;
        }
    }
}

void VncServer::process()
{
    // Reads what the clients sent (each message in full), then sends the updates they asked for.
    rfbProcessEvents(m_screen, 0);
    note_waiting_clients();
}

// A client waits when it has asked for an update that libvncserver could not send yet (it
// empties a client's requested region once it sends; RFC 6143 §7.5.3). The loop hears of a
// client that began waiting, so the next refresh comes at once (DisplayRefresh::frame_wanted).
void VncServer::note_waiting_clients()
{
    bool waiting = false;
    for (const auto& entry : m_clients) {
        const rfbClientRec& client = *entry.first;
        waiting = waiting || (client.state == rfbClientRec::RFB_NORMAL && !sraRgnEmpty(client.requestedRegion));
    }
    if (!waiting)
        m_client_waiting.store(false, std::memory_order_relaxed);
    else if (!m_client_waiting.exchange(true, std::memory_order_relaxed))
        m_frame_wanted.signal();
}

void VncServer::client_gone(rfbClientPtr client)
{
    if (m_closing)
        return;
    auto it = m_clients.find(client);
    if (it == m_clients.end())
        return;
    m_display_loop->remove(it->second.fd);
    m_clients.erase(it);
    m_client_count = m_clients.size();
}

// Event loop: the display source draws into the staged frame under the lock (only the pixels
// that differ; ui/frame_diff's shape), its rectangles are added to those the display thread has
// not taken yet, and the display thread is told.
bool VncServer::refresh_from(DisplaySource& source, uint64_t now_ms, Redraw redraw)
{
    uint32_t width = 0;
    uint32_t height = 0;
    {
        std::lock_guard guard(m_frame_lock);
        auto& staged = m_staged;
        auto update = source.render_update(now_ms, staged.surface, redraw);
        width = staged.surface.width();
        height = staged.surface.height();
        if (width == 0 || height == 0)
            return false;
        if (update.resized) {
            staged.resized = true; // the display thread takes the whole frame
            staged.dirty.clear();
        } else if (update.rects.empty()) {
            return false;
        } else if (!staged.resized) {
            for (const auto& rect : update.rects) {
                uint32_t x = std::min(rect.x, width);
                uint32_t y = std::min(rect.y, height);
                uint32_t right = std::min(rect.x + rect.width, width);
                uint32_t bottom = std::min(rect.y + rect.height, height);
                if (x < right && y < bottom)
                    staged.dirty.push_back(Rect { x, y, right - x, bottom - y });
            }
            if (staged.dirty.size() > k_max_staged_rects)
                staged.dirty.assign(1, bounding_box(staged.dirty));
        }
    }
    m_width = width;
    m_height = height;
    m_frame_ready.signal();
    return true;
}

// Display thread: the staged changes become the clients' framebuffer, then go out.
void VncServer::take_frame()
{
    m_frame_ready.consume();
    bool resized = false;
    std::vector<Rect> changed;
    std::optional<ScrolledBand> scroll;
    uint32_t width = 0;
    uint32_t height = 0;
    {
        std::lock_guard guard(m_frame_lock);
        auto& staged = m_staged;
        width = staged.surface.width();
        height = staged.surface.height();
        if (width == 0 || height == 0)
            return;
        const size_t pixels = size_t { width } * height;
        resized = std::exchange(staged.resized, false);
        if (resized || m_frame.size() != pixels) {
            m_frame.assign(staged.surface.data(), staged.surface.data() + pixels); // libvncserver is pointed at it again below
            resized = true;
            staged.dirty.clear();
        } else {
            // A scroll goes to the clients as a CopyRect of the band that moved; the rest, only
            // the pixels that differ from what the clients have (the staged frame may hold
            // several refreshes, and a pixel may have changed back).
            const std::span next(staged.surface.data(), pixels);
            scroll = find_scroll(next, m_frame, width, height, bounding_box(staged.dirty));
            copy_changes_after_scroll(next, m_frame, width, staged.dirty, scroll, changed);
            staged.dirty.clear();
        }
    }
    if (resized) {
        if (static_cast<uint32_t>(m_screen->width) != width || static_cast<uint32_t>(m_screen->height) != height) {
            // The clients that know the DesktopSize pseudo-encoding get a resize message.
            drop_scaled_screens();
            rfbNewFramebuffer(m_screen, reinterpret_cast<char*>(m_frame.data()), static_cast<int>(width),
                static_cast<int>(height), 8, 3, 4);
            m_screen->serverFormat.redShift = 16;
            m_screen->serverFormat.greenShift = 8;
            m_screen->serverFormat.blueShift = 0;
        } else {
            m_screen->frameBuffer = reinterpret_cast<char*>(m_frame.data());
        }
        rfbMarkRectAsModified(m_screen, 0, 0, static_cast<int>(width), static_cast<int>(height));
    } else {
        if (scroll) {
            // Before the changes are marked: libvncserver takes what is already marked as
            // pixels from before the copy (RFC 6143 §7.7.2: dest = src + (dx, dy)).
            // libvncserver looks at its cursor's size while it schedules a copy for a client
            // without cursor shape updates; vireo has none, so it sees an empty one just then.
            const auto& band = scroll->rect;
            rfbCursor no_cursor {};
            m_screen->cursor = &no_cursor;
            rfbScheduleCopyRect(m_screen, static_cast<int>(band.x), static_cast<int>(band.y),
                static_cast<int>(band.x + band.width), static_cast<int>(band.y + band.height), 0, -scroll->shift);
            m_screen->cursor = nullptr;
        }
        for (const auto& rect : changed)
            rfbMarkRectAsModified(m_screen, static_cast<int>(rect.x), static_cast<int>(rect.y),
                static_cast<int>(rect.x + rect.width), static_cast<int>(rect.y + rect.height));
    }
    process();
}

// Display thread, before a new screen size. libvncserver keeps a scaled copy of the screen for
// each size a client asked for (SetScale, PalmVNC's scale factor) and, at a new screen size,
// keeps the copies at their old sizes; it then divides by the screen's pixels per copy pixel,
// which is zero once the screen is smaller than a copy: SIGFPE, so a client that scaled and a
// guest mode change (a reboot to 720 x 400 text) ended vireo (found by fuzz_rfb). Every client
// goes back to the whole screen and the copies go (as rfbScreenCleanup frees them); the new
// size reaches each client as a DesktopSize, and a client that wants scaling asks again.
void VncServer::drop_scaled_screens()
{
    for (rfbClientPtr client = m_screen->clientHead; client; client = client->next) {
        if (client->scaledScreen && client->scaledScreen != m_screen) {
            client->scaledScreen->scaledScreenRefCount--;
            client->scaledScreen = m_screen;
            m_screen->scaledScreenRefCount++;
        }
    }
    while (rfbScreenInfoPtr copy = m_screen->scaledScreenNext) {
        m_screen->scaledScreenNext = copy->scaledScreenNext;
        std::free(copy->frameBuffer);
        std::free(copy);
    }
}

void VncServer::queue_input(QueuedInput input)
{
    {
        std::lock_guard guard(m_input_lock);
        if (m_queued_input.size() >= k_max_queued_input) {
            VIREO_GUEST_WARN("vnc: {} input events wait for the event loop; one more dropped", k_max_queued_input);
            return;
        }
        m_queued_input.push_back(input);
    }
    m_input_ready.signal();
}

// Event loop: a client began waiting for an update.
void VncServer::frame_wanted()
{
    m_frame_wanted.consume();
    if (m_display)
        m_display->frame_wanted();
}

// Event loop: the display thread's input reaches the machine's devices on this thread, as every
// other front end's does.
void VncServer::deliver_input()
{
    m_input_ready.consume();
    std::deque<QueuedInput> events;
    {
        std::lock_guard guard(m_input_lock);
        events.swap(m_queued_input);
    }
    if (!m_input)
        return;
    if (m_display && !events.empty())
        m_display->nudge(); // the guest will likely draw an answer: refresh at full rate
    for (const auto& event : events) {
        if (const auto* key = std::get_if<KeyInput>(&event))
            m_input->key_event(key->key, key->down);
        else
            m_input->pointer_event(std::get<PointerEvent>(event));
    }
}

void VncServer::key(bool down, uint32_t keysym)
{
    auto key = m_keymap.lookup(keysym);
    if (!key) {
        VIREO_GUEST_DEBUG("vnc: keysym {:#x} has no key in keymap {}", keysym, m_keymap.name());
        return;
    }
    queue_input(KeyInput { *key, down });
}

// The client announced QEMU's extended key event: acknowledged at once (rfbproto: a
// FramebufferUpdate rectangle in that pseudo-encoding), after which it may send scan codes.
bool VncServer::enable_qemu_keys(rfbClientPtr client)
{
    auto it = m_clients.find(client);
    if (it == m_clients.end())
        return false;
    auto acknowledgement = qemu_key_event_acknowledgement();
    if (rfbWriteExact(client, reinterpret_cast<const char*>(acknowledgement.data()),
            static_cast<int>(acknowledgement.size())) < 0) {
        rfbCloseClient(client);
        return true;
    }
    it->second.qemu_keys = true;
    return true;
}

// A QEMU client message (type 255), its type byte read. Only the extended key event, and only
// from a client that was acknowledged: anything else is not understood and ends the client.
bool VncServer::qemu_message(rfbClientPtr client)
{
    auto it = m_clients.find(client);
    if (it == m_clients.end() || !it->second.qemu_keys)
        return false;
    uint8_t submessage = 0;
    if (rfbReadExact(client, reinterpret_cast<char*>(&submessage), 1) <= 0) {
        rfbCloseClient(client);
        return true;
    }
    if (submessage != k_rfb_qemu_submessage_key)
        return false;
    std::array<uint8_t, k_qemu_key_event_body> body {};
    if (rfbReadExact(client, reinterpret_cast<char*>(body.data()), static_cast<int>(body.size())) <= 0) {
        rfbCloseClient(client);
        return true;
    }
    auto event = decode_qemu_key_event(body);
    if (auto pc_key = pc_key_from_xt_keycode(event.keycode)) {
        // The client's own scan code: the guest's layout applies, not -k's.
        queue_input(KeyInput { *pc_key, event.down });
    } else if (event.keycode == 0) {
        key(event.down, event.keysym);
    } else {
        VIREO_GUEST_DEBUG("vnc: extended key event with keycode {:#x} names no key", event.keycode);
    }
    return true;
}

// RFB §7.5.5: buttons 1-3 are left, middle, right; 4 and 5 the wheel up and down, pressed and
// released for each step. The event carries both the position on the screen (for a tablet)
// and the difference from the last position (for a relative mouse).
// The position is clamped to the screen: RFB lets a client name any 16-bit position, and
// libvncserver multiplies it by the factor of a client's SetScale (up to 255), which made a
// relative mouse jump by hundreds of thousands of pixels (found by fuzz_rfb).
void VncServer::pointer(int button_mask, int x, int y)
{
    const int width = std::max(m_screen->width, 1);
    const int height = std::max(m_screen->height, 1);
    x = std::clamp(x, 0, width - 1);
    y = std::clamp(y, 0, height - 1);
    PointerEvent event { .x = x, .y = y, .width = static_cast<uint32_t>(width),
        .height = static_cast<uint32_t>(height) };
    if (m_last_pointer) {
        event.dx = x - m_last_pointer->first;
        event.dy = y - m_last_pointer->second;
    }
    m_last_pointer = std::pair(x, y);
    int pressed = button_mask & ~m_last_buttons;
    m_last_buttons = button_mask;
    event.wheel = ((pressed & 0x10) ? 1 : 0) - ((pressed & 0x08) ? 1 : 0);
    event.buttons = static_cast<uint8_t>(((button_mask & 0x01) ? k_ps2_left : 0)
        | ((button_mask & 0x02) ? k_ps2_middle : 0) | ((button_mask & 0x04) ? k_ps2_right : 0));
    queue_input(event);
}

// VNC authentication (RFC 6143 §7.2.2): the client's response is the challenge DES-encrypted
// with the password (its first 8 bytes) as key.
bool VncServer::check_password(rfbClientPtr client, const char* response, int length) const
{
    if (length != CHALLENGESIZE)
        return false;
    char key[9] = {};
    {
        std::lock_guard guard(m_password_lock);
        if (!m_password)
            return false;
        std::memcpy(key, m_password->data(), std::min<size_t>(m_password->size(), 8));
    }
    unsigned char expected[CHALLENGESIZE];
    std::memcpy(expected, client->authChallenge, CHALLENGESIZE);
    rfbEncryptBytes(expected, key);
    return std::memcmp(expected, response, CHALLENGESIZE) == 0;
}

void VncServer::on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr client)
{
    server_of(client)->key(down != 0, keysym);
}

void VncServer::on_pointer(int button_mask, int x, int y, rfbClientPtr client)
{
    server_of(client)->pointer(button_mask, x, y);
}

void VncServer::on_client_gone(rfbClientPtr client)
{
    VncServer* server = server_of(client);
    // libvncserver frees a client without its list of enabled extensions, and its
    // rfbDisableExtension unlinks an entry without freeing it: take ours off and free it here.
    for (rfbExtensionData** link = &client->extensions; *link; link = &(*link)->next) {
        if ((*link)->extension == server->m_qemu_extension.get()) {
            rfbExtensionData* entry = *link;
            *link = entry->next;
            std::free(entry); // calloc'd by rfbEnableExtension; our data pointer is null
            break;
        }
    }
    // libvncserver 0.9.14 never frees a WebSocket client's context (one calloc of about 45 KiB
    // in its handshake, holding no other allocation), so every noVNC connection leaked it and a
    // client that reconnected in a loop grew vireo without end (found by fuzz_rfb). Nothing in
    // its rfbClientConnectionGone touches the context after this hook. Only for the version read;
    // another may free it itself.
#ifdef LIBVNCSERVER_WITH_WEBSOCKETS
    if constexpr (std::string_view(LIBVNCSERVER_VERSION) == "0.9.14") {
        std::free(client->wsctx);
        client->wsctx = nullptr;
    }
#endif
    server->client_gone(client);
}

rfbBool VncServer::on_check_password(rfbClientPtr client, const char* response, int length)
{
    return server_of(client)->check_password(client, response, length) ? TRUE : FALSE;
}

} // namespace vireo
