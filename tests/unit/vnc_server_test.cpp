// The VNC server against real clients on 127.0.0.1: vncsnapshot (a TightVNC-based client)
// takes the screen of a fake display whose pattern is known, and a small hand-written RFB
// client checks what vncsnapshot cannot: input, resize, and a client that sends garbage.
// No guest: the server runs on an EventLoop thread of its own here.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <jpeglib.h>
#include <png.h>
#include <rfb/rfb.h>
#include <spawn.h>

#include "base/unique_fd.h"
#include "bus/bus.h"
#include "devices/display/bochs_dispi.h"
#include "devices/display/std_vga.h"
#include "devices/pci/pci_root.h"
#include "devices/display/display_refresh.h"
#include "sandbox/sandbox.h"
#include "ui/vnc_server.h"

using namespace vireo;

namespace {

constexpr uint32_t k_width = 320;
constexpr uint32_t k_height = 240;
constexpr uint32_t k_block = 40;
constexpr uint32_t k_palette[] = { 0xff0000, 0x00ff00, 0x0000ff, 0xffffff, 0x000000, 0xffff00, 0x00ffff };

uint32_t pattern(uint32_t x, uint32_t y)
{
    return k_palette[(x / k_block + 2 * (y / k_block)) % std::size(k_palette)];
}

// The screen a test draws, drawn into the consumer's surface at each refresh as a display
// device draws its video memory: the rectangles named since the last refresh, or all of it.
class PatternSource final : public DisplaySource {
public:
    PatternSource() { draw(k_width, k_height); }
    void draw(uint32_t width, uint32_t height)
    {
        std::lock_guard guard(m_lock);
        (void)m_screen.resize(width, height);
        for (uint32_t y = 0; y < height; ++y) {
            for (uint32_t x = 0; x < width; ++x)
                m_screen.row(y)[x] = pattern(x, y);
        }
        m_dirty.assign(1, DirtyRect { 0, 0, width, height }); // a whole new frame: what was named before is in it
    }
    // Redraws every pixel as colour(x, y) and names the whole screen dirty.
    template<typename Colour>
    void fill(Colour colour)
    {
        std::lock_guard guard(m_lock);
        for (uint32_t y = 0; y < m_screen.height(); ++y) {
            for (uint32_t x = 0; x < m_screen.width(); ++x)
                m_screen.row(y)[x] = colour(x, y);
        }
        m_dirty.push_back(DirtyRect { 0, 0, m_screen.width(), m_screen.height() });
    }
    // Paints a block, and names the whole screen dirty, as a renderer names whole pages.
    void paint(uint32_t x, uint32_t y, uint32_t width, uint32_t height, uint32_t colour)
    {
        std::lock_guard guard(m_lock);
        for (uint32_t row = y; row < y + height; ++row)
            std::fill_n(m_screen.row(row) + x, width, colour);
        m_dirty.push_back(DirtyRect { 0, 0, m_screen.width(), m_screen.height() });
    }
    // From now on the screen changes at every refresh (pixel 0,0 takes a new colour), as a
    // guest that redraws all the time.
    void churn() { m_churn = true; }
    [[nodiscard]] uint64_t renders() const { return m_renders.load(); }
    DisplayUpdate render_update(uint64_t, DisplaySurface& surface, Redraw redraw) override
    {
        std::lock_guard guard(m_lock);
        ++m_renders;
        if (m_churn) {
            m_screen.row(0)[0] = (m_screen.row(0)[0] + 1) & 0xffffff;
            m_dirty.push_back(DirtyRect { 0, 0, 1, 1 });
        }
        DisplayUpdate update;
        if (redraw == Redraw::Everything || surface.width() != m_screen.width() || surface.height() != m_screen.height()) {
            (void)surface.resize(m_screen.width(), m_screen.height());
            m_dirty.assign(1, DirtyRect { 0, 0, m_screen.width(), m_screen.height() });
            update.resized = true;
        }
        for (const auto& rect : m_dirty) {
            for (uint32_t row = rect.y; row < rect.y + rect.height; ++row)
                std::copy_n(m_screen.row(row) + rect.x, rect.width, surface.row(row) + rect.x);
        }
        update.rects = std::exchange(m_dirty, {});
        return update;
    }
    uint32_t pixel(uint32_t x, uint32_t y)
    {
        std::lock_guard guard(m_lock);
        return m_screen.row(y)[x];
    }

private:
    std::mutex m_lock;
    DisplaySurface m_screen;
    std::vector<DirtyRect> m_dirty;
    std::atomic<bool> m_churn { false };
    std::atomic<uint64_t> m_renders { 0 };
};

class RecordingInput final : public UserInput {
public:
    void key_event(PcKey key, bool down) override
    {
        std::lock_guard guard(lock);
        keys.emplace_back(key, down);
    }
    void pointer_event(const PointerEvent& event) override
    {
        std::lock_guard guard(lock);
        mice.push_back({ event.dx, event.dy, event.wheel, event.buttons });
        positions.push_back({ event.x, event.y, static_cast<int32_t>(event.width), static_cast<int32_t>(event.height) });
    }
    std::mutex lock;
    std::vector<std::pair<PcKey, bool>> keys;
    std::vector<std::array<int32_t, 4>> mice;      // dx, dy, wheel, buttons
    std::vector<std::array<int32_t, 4>> positions; // x, y on a screen of width x height
};

bool have_vncsnapshot()
{
    return std::system("command -v vncsnapshot >/dev/null 2>&1") == 0;
}

// The server on a free display of 127.0.0.1, on a loop thread, over the pattern.
class VncFixture : public ::testing::Test {
protected:
    void start(std::optional<std::string> password = std::nullopt, std::optional<uint16_t> websocket = std::nullopt)
    {
        std::signal(SIGPIPE, SIG_IGN);
        m_loop = std::move(*EventLoop::create());
        m_refresh = std::move(*DisplayRefresh::create(*m_loop, m_display_source ? *m_display_source : m_source,
            m_period, m_unwatched_period));
        for (uint32_t display = 150 + static_cast<uint32_t>(::getpid() % 400); display < 1000; ++display) {
            VncServerOptions options;
            options.config.host = "127.0.0.1";
            options.config.display = display;
            options.config.password = password.has_value();
            options.config.websocket_port = websocket;
            options.config.text = fmt::format("127.0.0.1:{}", display);
            options.desktop_name = "pattern";
            options.password = password;
            auto server = VncServer::create(*m_loop, std::move(options));
            if (server) {
                m_server = std::move(*server);
                m_display = display;
                break;
            }
            ASSERT_EQ(server.error().code, EADDRINUSE) << server.error().describe();
        }
        ASSERT_TRUE(m_server);
        ASSERT_TRUE(m_server->attach(m_refresh.get(), &m_input));
        m_thread = std::thread([this] { m_loop->run(); });
        m_dir = std::filesystem::temp_directory_path() / fmt::format("vireo-vnc-test-{}", ::getpid());
        std::filesystem::create_directories(m_dir);
    }
    void TearDown() override
    {
        if (m_thread.joinable()) {
            m_loop->stop();
            m_thread.join();
        }
        m_server.reset();
        m_refresh.reset();
        if (!m_dir.empty())
            std::filesystem::remove_all(m_dir);
    }
    uint16_t port() const { return static_cast<uint16_t>(5900 + m_display); }

    // Runs vncsnapshot; the image's path on success.
    std::optional<std::string> snapshot(const std::string& name, const std::string& options = {})
    {
        auto out = (m_dir / name).string();
        auto command = fmt::format("timeout 20 vncsnapshot -quiet -quality 100 {} 127.0.0.1:{} {} >{}.log 2>&1",
            options, m_display, out, out);
        if (std::system(command.c_str()) != 0)
            return std::nullopt;
        return out;
    }

    std::unique_ptr<EventLoop> m_loop;
    PatternSource m_source;
    DisplaySource* m_display_source = nullptr; // another source than m_source (set before start)
    std::chrono::milliseconds m_period { 10 }; // the refresh's (set before start)
    std::chrono::milliseconds m_unwatched_period = DisplayRefresh::k_unwatched_period;
    RecordingInput m_input;
    std::unique_ptr<DisplayRefresh> m_refresh;
    std::unique_ptr<VncServer> m_server;
    uint32_t m_display = 0;
    std::thread m_thread;
    std::filesystem::path m_dir;
};

struct Image {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<uint8_t> rgb;
    uint32_t pixel(uint32_t x, uint32_t y) const
    {
        const uint8_t* p = &rgb[(size_t { y } * width + x) * 3];
        return (uint32_t { p[0] } << 16) | (uint32_t { p[1] } << 8) | p[2];
    }
};

std::optional<Image> read_jpeg(const std::string& path)
{
    FILE* file = std::fopen(path.c_str(), "rb");
    if (!file)
        return std::nullopt;
    jpeg_decompress_struct info {};
    jpeg_error_mgr errors {};
    info.err = jpeg_std_error(&errors);
    jpeg_create_decompress(&info);
    jpeg_stdio_src(&info, file);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);
    Image image { info.output_width, info.output_height, {} };
    image.rgb.resize(size_t { image.width } * image.height * 3);
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = &image.rgb[size_t { info.output_scanline } * image.width * 3];
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    std::fclose(file);
    return image;
}

bool close_to(uint32_t a, uint32_t b)
{
    for (int shift : { 0, 8, 16 }) {
        int delta = static_cast<int>((a >> shift) & 0xff) - static_cast<int>((b >> shift) & 0xff);
        if (std::abs(delta) > 24) // JPEG at quality 100
            return false;
    }
    return true;
}

// The middle of every block has the pattern's colour.
void expect_pattern(const std::string& path)
{
    auto image = read_jpeg(path);
    ASSERT_TRUE(image);
    ASSERT_EQ(image->width, k_width);
    ASSERT_EQ(image->height, k_height);
    for (uint32_t y = k_block / 2; y < k_height; y += k_block) {
        for (uint32_t x = k_block / 2; x < k_width; x += k_block)
            EXPECT_TRUE(close_to(image->pixel(x, y), pattern(x, y)))
                << fmt::format("({}, {}): {:06x}, expected {:06x}", x, y, image->pixel(x, y), pattern(x, y));
    }
}

// A PNG file's pixels as 0xRRGGBB (libpng's simplified API).
std::optional<Image> read_png(const std::string& path)
{
    png_image png {};
    png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&png, path.c_str()))
        return std::nullopt;
    png.format = PNG_FORMAT_RGB;
    Image image { png.width, png.height, std::vector<uint8_t>(PNG_IMAGE_SIZE(png)) };
    if (!png_image_finish_read(&png, nullptr, image.rgb.data(), 0, nullptr))
        return std::nullopt;
    return image;
}

// A TCP port nobody listens on now (the kernel's pick), for a listener made just after.
uint16_t free_port()
{
    UniqueFd probe(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (::bind(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) < 0
        || ::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&address), &length) < 0)
        return 0;
    return ntohs(address.sin_port);
}

// A bare RFB 3.8 client for what vncsnapshot does not do.
class RawClient {
public:
    explicit RawClient(uint16_t port)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        timeval timeout { 5, 0 };
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected = ::connect(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    }
    ~RawClient() { ::close(m_fd); }
    bool connected() const { return m_connected; }
    int fd() const { return m_fd; }
    bool send(std::vector<uint8_t> bytes) { return ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size()); }
    bool send(std::string_view text) { return send(std::vector<uint8_t>(text.begin(), text.end())); }
    std::optional<std::vector<uint8_t>> read(size_t count)
    {
        std::vector<uint8_t> bytes(count);
        size_t done = 0;
        while (done < count) {
            ssize_t n = ::recv(m_fd, bytes.data() + done, count - done, 0);
            if (n <= 0)
                return std::nullopt;
            done += size_t(n);
        }
        return bytes;
    }
    // The server closed the connection (reads reach EOF within the timeout).
    bool closed_by_server()
    {
        uint8_t byte;
        while (true) {
            ssize_t n = ::recv(m_fd, &byte, 1, 0);
            if (n == 0)
                return true;
            if (n < 0)
                return errno == ECONNRESET;
        }
    }
    static uint32_t be32(const std::vector<uint8_t>& b, size_t at)
    {
        return (uint32_t { b[at] } << 24) | (uint32_t { b[at + 1] } << 16) | (uint32_t { b[at + 2] } << 8) | b[at + 3];
    }
    static uint16_t be16(const std::vector<uint8_t>& b, size_t at) { return uint16_t((b[at] << 8) | b[at + 1]); }

    // Version, security None, ClientInit (shared); returns the ServerInit's size and name.
    bool handshake(uint16_t& width, uint16_t& height, std::string& name)
    {
        auto version = read(12);
        if (!version || std::string(version->begin(), version->end()) != "RFB 003.008\n")
            return false;
        send("RFB 003.008\n");
        auto count = read(1);
        if (!count || (*count)[0] == 0)
            return false;
        auto types = read((*count)[0]);
        if (!types || std::find(types->begin(), types->end(), 1) == types->end())
            return false;
        send(std::vector<uint8_t> { 1 });
        auto result = read(4);
        if (!result || be32(*result, 0) != 0)
            return false;
        send(std::vector<uint8_t> { 1 });
        auto init = read(24);
        if (!init)
            return false;
        width = be16(*init, 0);
        height = be16(*init, 2);
        auto text = read(be32(*init, 20));
        if (!text)
            return false;
        name.assign(text->begin(), text->end());
        return true;
    }

private:
    int m_fd = -1;
    bool m_connected = false;
};

template<typename Predicate>
bool wait_for(Predicate predicate)
{
    for (int i = 0; i < 500; ++i) {
        if (predicate())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

} // namespace

TEST_F(VncFixture, VncsnapshotSeesThePattern)
{
    if (!have_vncsnapshot())
        GTEST_SKIP() << "vncsnapshot is not installed";
    start();
    for (const char* encodings : { "raw", "hextile", "zlib" }) {
        auto image = snapshot(fmt::format("{}.jpg", encodings), fmt::format("-nojpeg -encodings \"{} copyrect\"", encodings));
        ASSERT_TRUE(image) << encodings;
        expect_pattern(*image);
    }
    // vncsnapshot's own choice. (Asked for tight alone, vncsnapshot 1.2a waits for ever after
    // libvncserver's empty LastRect marker, "Zero size rect - ignoring": not covered here.)
    auto image = snapshot("default.jpg");
    ASSERT_TRUE(image);
    expect_pattern(*image);
}

TEST_F(VncFixture, TwoClientsAtOnce)
{
    if (!have_vncsnapshot())
        GTEST_SKIP() << "vncsnapshot is not installed";
    start();
    auto a = (m_dir / "a.jpg").string();
    auto b = (m_dir / "b.jpg").string();
    auto command = fmt::format("timeout 20 vncsnapshot -quiet 127.0.0.1:{0} {1} >/dev/null 2>&1 & p=$!; "
                               "timeout 20 vncsnapshot -quiet 127.0.0.1:{0} {2} >/dev/null 2>&1 && wait $p",
        m_display, a, b);
    ASSERT_EQ(std::system(command.c_str()), 0);
    expect_pattern(a);
    expect_pattern(b);
}

TEST_F(VncFixture, GarbageClientIsDroppedOthersServed)
{
    if (!have_vncsnapshot())
        GTEST_SKIP() << "vncsnapshot is not installed";
    start();
    RawClient garbage(port());
    ASSERT_TRUE(garbage.connected());
    ASSERT_TRUE(garbage.read(12));
    garbage.send("XYZ garbage\x01\x02\x03\xff\xfe");
    EXPECT_TRUE(garbage.closed_by_server());

    // A client that goes in the middle of a message.
    {
        RawClient partial(port());
        uint16_t width = 0, height = 0;
        std::string name;
        ASSERT_TRUE(partial.handshake(width, height, name));
        partial.send(std::vector<uint8_t> { 2, 0, 0, 10, 0, 0, 0, 0 }); // SetEncodings: 10 announced, 1 sent
    }
    // A message type that does not exist.
    RawClient unknown(port());
    uint16_t width = 0, height = 0;
    std::string name;
    ASSERT_TRUE(unknown.handshake(width, height, name));
    unknown.send(std::vector<uint8_t> { 0x77, 1, 2, 3 });
    EXPECT_TRUE(unknown.closed_by_server());

    auto image = snapshot("after.jpg");
    ASSERT_TRUE(image);
    expect_pattern(*image);
}

TEST_F(VncFixture, ClientsThatStopMidWordHoldNoOne)
{
    // libvncserver 0.9.14's wait for a WebSocket handshake spins for ever on a connection with
    // one to three bytes in it: the display thread would serve no one again.
    start();
    RawClient hung_up(port());
    ASSERT_TRUE(hung_up.connected());
    hung_up.send("GE");
    ::shutdown(hung_up.fd(), SHUT_WR);
    RawClient late(port());
    ASSERT_TRUE(late.connected());
    std::this_thread::sleep_for(std::chrono::milliseconds(30)); // while libvncserver would wait
    late.send(std::vector<uint8_t> { 1 });
    RawClient stalled(port());
    ASSERT_TRUE(stalled.connected());
    stalled.send(std::vector<uint8_t> { 0x16 });

    RawClient good(port());
    uint16_t width = 0, height = 0;
    std::string name;
    ASSERT_TRUE(good.handshake(width, height, name));
    EXPECT_EQ(name, "pattern");
    EXPECT_TRUE(hung_up.closed_by_server());
    EXPECT_TRUE(stalled.closed_by_server());
    if (have_vncsnapshot()) {
        auto image = snapshot("after.jpg");
        ASSERT_TRUE(image);
        expect_pattern(*image);
    }
}

TEST_F(VncFixture, PasswordFromSecret)
{
    if (!have_vncsnapshot())
        GTEST_SKIP() << "vncsnapshot is not installed";
    VmConfig config;
    config.secrets.push_back(SecretConfig { "vncpw", "s3cret", "" });
    auto secret = read_vnc_secret(config, "vncpw");
    ASSERT_TRUE(secret);
    start(*secret);
    auto good = (m_dir / "good.pw").string();
    auto bad = (m_dir / "bad.pw").string();
    char right[] = "s3cret";
    char wrong[] = "guess";
    ASSERT_EQ(rfbEncryptAndStorePasswd(right, good.data()), 0);
    ASSERT_EQ(rfbEncryptAndStorePasswd(wrong, bad.data()), 0);
    EXPECT_FALSE(snapshot("bad.jpg", fmt::format("-passwd {}", bad)));
    auto image = snapshot("good.jpg", fmt::format("-passwd {}", good));
    ASSERT_TRUE(image);
    expect_pattern(*image);
    // QMP set_password replaces it.
    auto replaced = (m_dir / "new.pw").string();
    char changed[] = "other";
    ASSERT_EQ(rfbEncryptAndStorePasswd(changed, replaced.data()), 0);
    // (the loop thread owns the server: stop it while the password changes)
    m_loop->stop();
    m_thread.join();
    EXPECT_TRUE(m_server->set_password("other"));
    m_thread = std::thread([this] { m_loop->run(); });
    EXPECT_FALSE(snapshot("old.jpg", fmt::format("-passwd {}", good)));
    EXPECT_TRUE(snapshot("new.jpg", fmt::format("-passwd {}", replaced)));
}

TEST_F(VncFixture, NameInputAndResize)
{
    start();
    RawClient client(port());
    uint16_t width = 0, height = 0;
    std::string name;
    ASSERT_TRUE(client.handshake(width, height, name));
    EXPECT_EQ(name, "pattern");
    EXPECT_EQ(width, k_width);
    EXPECT_EQ(height, k_height);

    // 'a' down and up, Up arrow; pointer at (10, 10), then (15, 7) with the left button, a wheel step.
    client.send(std::vector<uint8_t> { 4, 1, 0, 0, 0, 0, 0, 'a' });
    client.send(std::vector<uint8_t> { 4, 0, 0, 0, 0, 0, 0, 'a' });
    client.send(std::vector<uint8_t> { 4, 1, 0, 0, 0, 0, 0xff, 0x52 });
    client.send(std::vector<uint8_t> { 5, 0, 0, 10, 0, 10 });
    client.send(std::vector<uint8_t> { 5, 1, 0, 15, 0, 7 });
    client.send(std::vector<uint8_t> { 5, 0x10, 0, 15, 0, 7 });
    ASSERT_TRUE(wait_for([&] {
        std::lock_guard guard(m_input.lock);
        return m_input.keys.size() == 3 && m_input.mice.size() == 3;
    }));
    {
        std::lock_guard guard(m_input.lock);
        EXPECT_EQ(m_input.keys[0], std::pair(PcKey { 0x1e, false }, true));
        EXPECT_EQ(m_input.keys[1], std::pair(PcKey { 0x1e, false }, false));
        EXPECT_EQ(m_input.keys[2], std::pair(PcKey { 0x48, true }, true));
        EXPECT_EQ(m_input.mice[0], (std::array<int32_t, 4> { 0, 0, 0, 0 }));
        EXPECT_EQ(m_input.mice[1], (std::array<int32_t, 4> { 5, -3, 0, k_ps2_left }));
        EXPECT_EQ(m_input.mice[2], (std::array<int32_t, 4> { 0, 0, 1, 0 }));
        // The absolute position goes along, for a tablet.
        EXPECT_EQ(m_input.positions[1], (std::array<int32_t, 4> { 15, 7, int32_t(k_width), int32_t(k_height) }));
    }

    // SetEncodings raw + DesktopSize, a full update request, then the guest changes mode.
    client.send(std::vector<uint8_t> { 2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21 });
    client.send(std::vector<uint8_t> { 3, 0, 0, 0, 0, 0, uint8_t(k_width >> 8), uint8_t(k_width), 0, uint8_t(k_height) });
    auto header = client.read(4);
    ASSERT_TRUE(header);
    EXPECT_EQ((*header)[0], 0); // FramebufferUpdate
    uint16_t rects = RawClient::be16(*header, 2);
    for (uint16_t i = 0; i < rects; ++i) {
        auto rect = client.read(12);
        ASSERT_TRUE(rect);
        ASSERT_EQ(RawClient::be32(*rect, 8), 0u); // raw
        ASSERT_TRUE(client.read(size_t { RawClient::be16(*rect, 4) } * RawClient::be16(*rect, 6) * 4));
    }
    m_source.draw(640, 400);
    client.send(std::vector<uint8_t> { 3, 1, 0, 0, 0, 0, uint8_t(k_width >> 8), uint8_t(k_width), 0, uint8_t(k_height) });
    bool resized = false;
    for (int update = 0; update < 4 && !resized; ++update) {
        header = client.read(4);
        ASSERT_TRUE(header);
        rects = RawClient::be16(*header, 2);
        for (uint16_t i = 0; i < rects; ++i) {
            auto rect = client.read(12);
            ASSERT_TRUE(rect);
            int32_t encoding = static_cast<int32_t>(RawClient::be32(*rect, 8));
            if (encoding == -223) {
                EXPECT_EQ(RawClient::be16(*rect, 4), 640);
                EXPECT_EQ(RawClient::be16(*rect, 6), 400);
                resized = true;
                continue;
            }
            ASSERT_EQ(encoding, 0);
            ASSERT_TRUE(client.read(size_t { RawClient::be16(*rect, 4) } * RawClient::be16(*rect, 6) * 4));
        }
    }
    EXPECT_TRUE(resized);
}

// Found by fuzz_rfb: a position past the screen's edge, or one libvncserver multiplied by a
// client's SetScale factor, reached the machine as it was, so a relative mouse jumped by
// hundreds of thousands of pixels. Positions are clamped to the screen.
TEST_F(VncFixture, PointerPositionsPastTheScreenOrScaledStayOnTheScreen)
{
    start();
    RawClient client(port());
    uint16_t width = 0, height = 0;
    std::string name;
    ASSERT_TRUE(client.handshake(width, height, name));
    client.send(std::vector<uint8_t> { 5, 0, 0, 10, 0, 10 });
    client.send(std::vector<uint8_t> { 5, 0, 0xff, 0xff, 0xff, 0xff });
    // SetScale (type 8) by 200: the client's screen is a pixel or two wide, and libvncserver
    // scales its positions back up by the factor.
    client.send(std::vector<uint8_t> { 8, 200, 0, 0 });
    client.send(std::vector<uint8_t> { 5, 0, 0x05, 0x05, 0x05, 0x05 });
    client.send(std::vector<uint8_t> { 5, 0, 0, 0, 0, 0 });
    ASSERT_TRUE(wait_for([&] {
        std::lock_guard guard(m_input.lock);
        return m_input.mice.size() == 4;
    }));
    std::lock_guard guard(m_input.lock);
    const int32_t right = int32_t(k_width) - 1;
    const int32_t bottom = int32_t(k_height) - 1;
    EXPECT_EQ(m_input.positions[1], (std::array<int32_t, 4> { right, bottom, int32_t(k_width), int32_t(k_height) }));
    EXPECT_EQ(m_input.mice[1], (std::array<int32_t, 4> { right - 10, bottom - 10, 0, 0 }));
    EXPECT_EQ(m_input.positions[2], (std::array<int32_t, 4> { right, bottom, int32_t(k_width), int32_t(k_height) }));
    EXPECT_EQ(m_input.mice[2], (std::array<int32_t, 4> { 0, 0, 0, 0 }));
    EXPECT_EQ(m_input.mice[3], (std::array<int32_t, 4> { -right, -bottom, 0, 0 }));
}

// The client's copy of the screen, kept from raw rectangles (the server's 32-bit format) and
// DesktopSize.
struct ClientScreen {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<uint32_t> pixels;
    uint64_t area = 0; // pixels received
    uint32_t copies = 0; // CopyRect rectangles received

    void start(RawClient& client, uint16_t server_width, uint16_t server_height, bool copyrect = false)
    {
        width = server_width;
        height = server_height;
        pixels.assign(size_t { width } * height, 0xdeadbeef);
        // SetEncodings: raw, DesktopSize (and CopyRect)
        std::vector<uint8_t> encodings { 2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21 };
        if (copyrect) {
            encodings[3] = 3;
            encodings.insert(encodings.end(), { 0, 0, 0, 1 });
        }
        client.send(encodings);
        request(client, false);
    }
    void request(RawClient& client, bool incremental)
    {
        client.send(std::vector<uint8_t> { 3, uint8_t(incremental ? 1 : 0), 0, 0, 0, 0, uint8_t(width >> 8), uint8_t(width),
            uint8_t(height >> 8), uint8_t(height) });
    }
    [[nodiscard]] uint32_t pixel(uint32_t x, uint32_t y) const { return pixels[size_t { y } * width + x] & 0xffffff; }
    bool read_update(RawClient& client)
    {
        auto header = client.read(4);
        if (!header || (*header)[0] != 0)
            return false;
        for (uint16_t i = 0, rects = RawClient::be16(*header, 2); i < rects; ++i) {
            auto rect = client.read(12);
            if (!rect)
                return false;
            uint32_t x = RawClient::be16(*rect, 0), y = RawClient::be16(*rect, 2);
            uint32_t w = RawClient::be16(*rect, 4), h = RawClient::be16(*rect, 6);
            if (static_cast<int32_t>(RawClient::be32(*rect, 8)) == -223) { // DesktopSize
                width = w;
                height = h;
                pixels.assign(size_t { width } * height, 0xdeadbeef);
                continue;
            }
            if (RawClient::be32(*rect, 8) == 1) { // CopyRect: the source's top left corner
                auto source = client.read(4);
                if (!source)
                    return false;
                uint32_t from_x = RawClient::be16(*source, 0), from_y = RawClient::be16(*source, 2);
                if (x + w > width || y + h > height || from_x + w > width || from_y + h > height)
                    return false;
                std::vector<uint32_t> moved;
                for (uint32_t row = 0; row < h; ++row) {
                    const uint32_t* from = &pixels[size_t { from_y + row } * width + from_x];
                    moved.insert(moved.end(), from, from + w);
                }
                for (uint32_t row = 0; row < h; ++row)
                    std::copy_n(&moved[size_t { row } * w], w, &pixels[size_t { y + row } * width + x]);
                ++copies;
                continue;
            }
            if (RawClient::be32(*rect, 8) != 0)
                return false;
            auto data = client.read(size_t { w } * h * 4);
            if (!data || x + w > width || y + h > height)
                return false;
            for (uint32_t row = 0; row < h; ++row)
                std::memcpy(&pixels[size_t { y + row } * width + x], data->data() + size_t { row } * w * 4, size_t { w } * 4);
            area += uint64_t { w } * h;
        }
        return true;
    }
};

// Takes `client` through the handshake (the server's size in width and height) and reads the
// first whole screen into `screen`.
void connect_screen(RawClient& client, ClientScreen& screen, uint16_t& width, uint16_t& height, bool copyrect = false)
{
    std::string name;
    ASSERT_TRUE(client.handshake(width, height, name));
    screen.start(client, width, height, copyrect);
    ASSERT_TRUE(screen.read_update(client));
}

// Found by fuzz_rfb: libvncserver keeps a client's scaled copy of the screen at its old size
// when the guest changes mode, and divided by zero (SIGFPE) once the screen was smaller than
// the copy. The copies go at each new size; the client then gets the whole new screen.
TEST_F(VncFixture, AClientThatScaledGetsTheSmallerScreenAfterAModeChange)
{
    start();
    RawClient client(port());
    uint16_t width = 0, height = 0;
    ClientScreen screen;
    ASSERT_NO_FATAL_FAILURE(connect_screen(client, screen, width, height));
    // SetScale by 2: the client's screen is 160 x 120.
    client.send(std::vector<uint8_t> { 8, 2, 0, 0 });
    for (int update = 0; update < 20 && screen.width != k_width / 2; ++update) {
        screen.request(client, false);
        ASSERT_TRUE(screen.read_update(client));
    }
    ASSERT_EQ(screen.width, k_width / 2);
    ASSERT_EQ(screen.height, k_height / 2);
    m_source.draw(64, 48); // smaller than the client's copy both ways
    // Updates until the new size arrives (the refresh takes the guest's new mode within 10 ms).
    for (int update = 0; update < 100 && screen.width != 64; ++update) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        screen.request(client, false);
        ASSERT_TRUE(screen.read_update(client));
    }
    EXPECT_EQ(screen.width, 64u);
    EXPECT_EQ(screen.height, 48u);
}

TEST_F(VncFixture, AnUpdateCarriesOnlyThePixelsThatChanged)
{
    start();
    RawClient client(port());
    uint16_t width = 0, height = 0;
    ClientScreen screen;
    ASSERT_NO_FATAL_FAILURE(connect_screen(client, screen, width, height));

    // A 7x3 block changes; the source names the whole screen, as a dirty log names pages.
    m_source.paint(100, 50, 7, 3, 0x123456);
    screen.area = 0;
    for (int update = 0; update < 5 && screen.pixel(100, 50) != 0x123456; ++update) {
        screen.request(client, true);
        ASSERT_TRUE(screen.read_update(client));
    }
    for (uint32_t y = 0; y < height; ++y) {
        for (uint32_t x = 0; x < width; ++x)
            ASSERT_EQ(screen.pixel(x, y), m_source.pixel(x, y) & 0xffffff) << x << "," << y;
    }
    EXPECT_EQ(screen.area, 21u) << "pixels sent for a 7x3 change";
}

// A guest that redraws all the time is drawn for the frames the clients ask for, and every
// k_unwatched_period besides, not at each tick of the refresh (10 ms here).
TEST_F(VncFixture, AGuestThatDrawsAllTheTimeIsDrawnWhenAClientAsks)
{
    start();
    RawClient client(port());
    uint16_t width = 0, height = 0;
    ClientScreen screen;
    ASSERT_NO_FATAL_FAILURE(connect_screen(client, screen, width, height));
    m_source.churn();

    // The client has what it asked for and asks nothing more: 600 ms of 10 ms ticks.
    const uint64_t before = m_source.renders();
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    const uint64_t unwatched = m_source.renders() - before;
    EXPECT_LE(unwatched, 8u) << "drawn at each tick while no client asked";
    EXPECT_GE(unwatched, 2u) << "not drawn every 100 ms while no client asked";

    // Each request gets the screen as it is now.
    for (int frame = 0; frame < 5; ++frame) {
        const uint32_t shown = screen.pixel(0, 0);
        screen.request(client, true);
        ASSERT_TRUE(screen.read_update(client));
        EXPECT_NE(screen.pixel(0, 0), shown);
    }
}

// A client that asks after a pause longer than the refresh's period is answered at once, not at
// the next tick (which a skipped refresh left a whole period away).
TEST_F(VncFixture, AClientThatAsksIsAnsweredBeforeTheNextTick)
{
    m_period = std::chrono::milliseconds(1000);
    m_unwatched_period = std::chrono::milliseconds(60'000);
    start();
    RawClient client(port());
    uint16_t width = 0, height = 0;
    ClientScreen screen;
    ASSERT_NO_FATAL_FAILURE(connect_screen(client, screen, width, height));
    m_source.churn();
    // The first tick (1 s after the first frame) finds no client waiting and draws nothing; the
    // next is 2 s after it.
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    const uint32_t shown = screen.pixel(0, 0);
    const auto asked = std::chrono::steady_clock::now();
    screen.request(client, true);
    ASSERT_TRUE(screen.read_update(client));
    const auto waited = std::chrono::steady_clock::now() - asked;
    EXPECT_NE(screen.pixel(0, 0), shown);
    EXPECT_LT(waited, std::chrono::milliseconds(400)) << "the request waited for the next tick";
}

TEST_F(VncFixture, AScrollGoesAsOneCopyAndTheNewRows)
{
    start();
    RawClient client(port());
    uint16_t width = 0, height = 0;
    ClientScreen screen;
    ASSERT_NO_FATAL_FAILURE(connect_screen(client, screen, width, height, true));

    // Lines of noise, each row its own; then the same moved up by 32 rows, with new rows below.
    auto text = [](uint32_t x, uint32_t line) {
        uint32_t seed = (x + 1) * 2654435761u ^ (line + 1) * 2246822519u;
        return (seed >> 8) & 0xffffff;
    };
    auto client_has_the_source = [&] {
        for (uint32_t y = 0; y < height; ++y) {
            for (uint32_t x = 0; x < width; ++x) {
                if (screen.pixel(x, y) != (m_source.pixel(x, y) & 0xffffff))
                    return false;
            }
        }
        return true;
    };
    m_source.fill([&](uint32_t x, uint32_t y) { return text(x, y); });
    for (int update = 0; update < 20 && !client_has_the_source(); ++update) {
        screen.request(client, true);
        ASSERT_TRUE(screen.read_update(client));
    }
    ASSERT_TRUE(client_has_the_source());

    screen.area = 0;
    m_source.fill([&](uint32_t x, uint32_t y) { return text(x, y + 32); });
    for (int update = 0; update < 20 && !client_has_the_source(); ++update) {
        screen.request(client, true);
        ASSERT_TRUE(screen.read_update(client));
    }
    EXPECT_TRUE(client_has_the_source());
    EXPECT_GE(screen.copies, 1u);
    // The 32 new rows; libvncserver adds its cursor's few pixels where a copy covers them.
    EXPECT_LE(screen.area, uint64_t { width } * 32 + 8 * 8) << "pixels sent for a scroll";
}

TEST_F(VncFixture, ScrollsBothWaysAndChangesBetweenRequestsEndAsTheScreen)
{
    start();
    RawClient client(port());
    uint16_t width = 0, height = 0;
    ClientScreen screen;
    ASSERT_NO_FATAL_FAILURE(connect_screen(client, screen, width, height, true));

    auto text = [](uint32_t x, uint32_t line) {
        uint32_t seed = (x + 1) * 2654435761u ^ (line + 1) * 2246822519u;
        return (seed >> 8) & 0xffffff;
    };
    auto client_has_the_source = [&] {
        for (uint32_t y = 0; y < height; ++y) {
            for (uint32_t x = 0; x < width; ++x) {
                if (screen.pixel(x, y) != (m_source.pixel(x, y) & 0xffffff))
                    return false;
            }
        }
        return true;
    };
    // Frames scrolled by whole lines either way, some with a block painted over, one to three of
    // them taken by the display thread before the client asks again.
    uint32_t state = 7;
    auto random = [&](uint32_t range) {
        state = state * 1664525u + 1013904223u;
        return (state >> 8) % range;
    };
    int64_t top = 1000;
    int64_t sent_top = 0;
    for (int round = 0; round < 25; ++round) {
        for (uint32_t frame = 0, frames = 1 + random(3); frame < frames; ++frame) {
            top += (int64_t(random(5)) - 2) * 16;
            if (frame + 1 == frames && top == sent_top)
                top += 16; // something for the client to ask for
            m_source.fill([&](uint32_t x, uint32_t y) { return text(x, uint32_t(top + y)); });
            if (random(3) == 0)
                m_source.paint(random(width - 20), random(height - 20), 20, 20, random(0xffffff));
            std::this_thread::sleep_for(std::chrono::milliseconds(40)); // a refresh, taken by the display thread
        }
        sent_top = top;
        screen.request(client, true);
        ASSERT_TRUE(screen.read_update(client));
    }
    for (int update = 0; update < 20 && !client_has_the_source(); ++update) {
        screen.request(client, true);
        ASSERT_TRUE(screen.read_update(client));
    }
    EXPECT_TRUE(client_has_the_source());
    EXPECT_GE(screen.copies, 5u);
}

// The VGA in DISPI 1024x768x32 as the source: it draws straight from video memory into the
// server's staged frame. What the client gets is video memory exactly; a second write of part
// of it sends exactly the changed pixels, though the dirty log names every page.
struct VncVgaFixture : VncFixture {
    // The framebuffer's slot, and a dirty log the test fills (the loop's thread reads it).
    struct Kvm final : MemorySlots, DirtyLog {
        Result<SlotId> map_slot(uint64_t, uint64_t, uint8_t*, SlotAccess) override { return SlotId { 1 }; }
        void unmap_slot(SlotId) override { }
        Result<void> take_dirty_pages(SlotId, std::span<uint64_t> bitmap) override
        {
            std::lock_guard guard(lock);
            std::ranges::fill(bitmap, all_dirty ? ~uint64_t { 0 } : 0);
            all_dirty = false;
            return {};
        }
        std::mutex lock; // also held while the test writes video memory
        bool all_dirty = false;
    };
    Kvm kvm;
    Bus mmio { "mmio" };
    Bus pio { "pio" };
    PciRoot root { mmio, pio,
        PciWindows { .mmio32_start = 0xc000'0000, .mmio32_end = 0xfec0'0000, .io_start = 0xc000, .io_end = 0x10000 },
        [](uint8_t) {} };
    std::shared_ptr<StdVga> vga;

    void start_with_vga()
    {
        vga = *StdVga::create(kvm, kvm, StdVgaConfig {});
        ASSERT_TRUE(root.add_device(vga, 2));
        auto dispi = [&](uint16_t index, uint16_t value) {
            std::array<uint8_t, 2> bytes { uint8_t(index), uint8_t(index >> 8) };
            vga->port_write(dispi::k_index_port, bytes);
            bytes = { uint8_t(value), uint8_t(value >> 8) };
            vga->port_write(dispi::k_index_port + 1, bytes);
        };
        dispi(dispi::k_index_xres, 1024);
        dispi(dispi::k_index_yres, 768);
        dispi(dispi::k_index_bpp, 32);
        dispi(dispi::k_index_enable, dispi::k_enabled | dispi::k_lfb_enabled);
        uint8_t value = 0;
        vga->port_read(0x3da, std::span(&value, 1));
        value = 0x20; // palette address source: the display on
        vga->port_write(0x3c0, std::span(&value, 1));
        m_display_source = vga.get();
        start();
    }
    // The guest writes pixels, and the dirty log names every page.
    void guest_writes(const std::function<void(uint32_t*)>& write)
    {
        std::lock_guard guard(kvm.lock);
        std::vector<uint32_t> frame(1024 * 768);
        std::memcpy(frame.data(), vga->vram().data(), frame.size() * 4);
        write(frame.data());
        std::memcpy(vga->vram().data(), frame.data(), frame.size() * 4);
        kvm.all_dirty = true;
    }
    uint32_t memory_pixel(uint32_t x, uint32_t y)
    {
        std::lock_guard guard(kvm.lock);
        uint32_t value;
        std::memcpy(&value, vga->vram().data() + (size_t { y } * 1024 + x) * 4, 4);
        return value & 0xffffff;
    }
    void TearDown() override
    {
        VncFixture::TearDown(); // the loop stops before the VGA goes
        vga.reset();
    }
};

TEST_F(VncVgaFixture, TheClientGetsVideoMemoryAndThenOnlyWhatChanged)
{
    start_with_vga();
    guest_writes([](uint32_t* frame) {
        for (uint32_t i = 0; i < 1024 * 768; ++i)
            frame[i] = (i * 2654435761u) | 0xff00'0000; // the X byte set: not shown
    });
    RawClient client(port());
    uint16_t width = 0, height = 0;
    ClientScreen screen;
    ASSERT_NO_FATAL_FAILURE(connect_screen(client, screen, width, height));
    auto matches = [&] {
        if (screen.width != 1024 || screen.height != 768)
            return false;
        for (uint32_t y = 0; y < 768; ++y) {
            for (uint32_t x = 0; x < 1024; ++x) {
                if (screen.pixel(x, y) != memory_pixel(x, y))
                    return false;
            }
        }
        return true;
    };
    // (The server may have shown its first, blank, frame before the guest's: full updates until
    // the client has the guest's.)
    for (int update = 0; update < 20 && !matches(); ++update) {
        screen.request(client, false);
        ASSERT_TRUE(screen.read_update(client));
    }
    ASSERT_TRUE(matches());

    // The guest rewrites the whole frame, changing an 11x4 block of it.
    guest_writes([](uint32_t* frame) {
        for (uint32_t y = 300; y < 304; ++y) {
            for (uint32_t x = 500; x < 511; ++x)
                frame[size_t { y } * 1024 + x] = 0x00ab'cdef;
        }
    });
    screen.area = 0;
    for (int update = 0; update < 20 && screen.pixel(510, 303) != 0xabcdef; ++update) {
        screen.request(client, true);
        ASSERT_TRUE(screen.read_update(client));
    }
    EXPECT_TRUE(matches());
    EXPECT_EQ(screen.area, 44u) << "pixels sent for an 11x4 change";
}

// QEMU's extended key event: a client that announces pseudo-encoding -258 is acknowledged with a
// rectangle in it and may then send its scan codes, which bypass the -k keymap.
TEST_F(VncFixture, QemuExtendedKeyEventCarriesTheClientsScanCodes)
{
    start();
    RawClient client(port());
    uint16_t width = 0, height = 0;
    std::string name;
    ASSERT_TRUE(client.handshake(width, height, name));
    // SetEncodings: raw, QEMU extended key event (0xfffffefe).
    client.send(std::vector<uint8_t> { 2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xfe, 0xfe });
    auto ack = client.read(16);
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)[0], 0);                          // FramebufferUpdate
    EXPECT_EQ(RawClient::be16(*ack, 2), 1);           // one rectangle
    EXPECT_EQ(RawClient::be32(*ack, 12), 0xfffffefeu); // in the pseudo-encoding

    auto ext_key = [&](bool down, uint32_t keysym, uint32_t keycode) {
        std::vector<uint8_t> message { 255, 0, 0, uint8_t(down) };
        for (uint32_t value : { keysym, keycode }) {
            for (int shift : { 24, 16, 8, 0 })
                message.push_back(uint8_t(value >> shift));
        }
        return client.send(message);
    };
    // 'y' typed on the key where en-us has 'z' (a German layout): the scan code wins.
    ASSERT_TRUE(ext_key(true, 'y', 0x2c));
    ASSERT_TRUE(ext_key(false, 'y', 0x2c));
    ASSERT_TRUE(ext_key(true, 0xff53, 0xcd));   // Right: E0 4D
    ASSERT_TRUE(ext_key(true, 0xff54, 0xe050)); // Down as 0xE0xx
    ASSERT_TRUE(ext_key(true, 'a', 0));         // no keycode: the keysym through the keymap
    ASSERT_TRUE(ext_key(true, 'q', 0x12345));   // no such key: dropped
    // A plain key event still goes through the keymap.
    client.send(std::vector<uint8_t> { 4, 1, 0, 0, 0, 0, 0, 'z' });
    ASSERT_TRUE(wait_for([&] {
        std::lock_guard guard(m_input.lock);
        return m_input.keys.size() == 6;
    }));
    {
        std::lock_guard guard(m_input.lock);
        EXPECT_EQ(m_input.keys[0], std::pair(PcKey { 0x2c, false }, true));
        EXPECT_EQ(m_input.keys[1], std::pair(PcKey { 0x2c, false }, false));
        EXPECT_EQ(m_input.keys[2], std::pair(PcKey { 0x4d, true }, true));
        EXPECT_EQ(m_input.keys[3], std::pair(PcKey { 0x50, true }, true));
        EXPECT_EQ(m_input.keys[4], std::pair(PcKey { 0x1e, false }, true));
        EXPECT_EQ(m_input.keys[5], std::pair(PcKey { 0x2c, false }, true));
    }
    // A QEMU submessage the server never offered ends the client.
    client.send(std::vector<uint8_t> { 255, 1, 0, 0 });
    EXPECT_TRUE(client.closed_by_server());

    // A client that did not announce the encoding may not send the message.
    RawClient plain(port());
    ASSERT_TRUE(plain.handshake(width, height, name));
    plain.send(std::vector<uint8_t> { 255, 0, 0, 1, 0, 0, 0, 'a', 0, 0, 0, 0x1e });
    EXPECT_TRUE(plain.closed_by_server());
}

// noVNC (Debian's novnc package, served by Python's http.server) in headless Chromium against
// the WebSocket port: the page's screenshot shows the screen, pixel for pixel where noVNC put it.
// The same with a booted guest cannot run in the nested test host, where Chromium under TCG did
// not start within 5 minutes; the guest's screen reaching RFB clients is the guest tests' part.
TEST_F(VncFixture, NoVncInHeadlessChromiumShowsTheScreen)
{
    if (std::system("command -v chromium >/dev/null 2>&1") != 0 || !std::filesystem::exists("/usr/share/novnc/vnc.html"))
        GTEST_SKIP() << "chromium and novnc are not installed (scripts/install-deps.sh)";
    uint16_t websocket = free_port();
    uint16_t http_port = free_port();
    ASSERT_NE(websocket, 0);
    ASSERT_NE(http_port, 0);
    start(std::nullopt, websocket);
    std::string port_text = std::to_string(http_port);
    const char* http_argv[] = { "python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", "/usr/share/novnc",
        port_text.c_str(), nullptr };
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t http = 0;
    ASSERT_EQ(posix_spawnp(&http, "python3", &actions, nullptr, const_cast<char* const*>(http_argv), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    auto shot = (m_dir / "novnc.png").string();
    // As root Chromium needs --no-sandbox; the virtual-time budget lets noVNC connect and draw
    // before the screenshot. The HTTP server may take a moment to listen: a few tries.
    bool taken = false;
    for (int attempt = 0; attempt < 3 && !taken; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto command = fmt::format("cd {0} && HOME={0} XDG_CONFIG_HOME={0} XDG_CACHE_HOME={0} timeout 90 chromium "
                                   "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars "
                                   "--no-first-run --user-data-dir={0}/profile --window-size=800,600 "
                                   "--virtual-time-budget=8000 --screenshot={1} "
                                   "'http://127.0.0.1:{2}/vnc.html?host=127.0.0.1&port={3}&autoconnect=true&resize=off' "
                                   ">{0}/chromium.log 2>&1",
            m_dir.string(), shot, http_port, websocket);
        taken = std::system(command.c_str()) == 0 && std::filesystem::exists(shot);
    }
    ::kill(http, SIGTERM);
    ::waitpid(http, nullptr, 0);
    ASSERT_TRUE(taken) << "no screenshot from Chromium";
    auto image = read_png(shot);
    ASSERT_TRUE(image);
    // Where noVNC drew the framebuffer: the offset at which the blocks' corners all match.
    std::optional<std::pair<uint32_t, uint32_t>> where;
    for (uint32_t oy = 0; oy + k_height <= image->height && !where; ++oy) {
        for (uint32_t ox = 0; ox + k_width <= image->width && !where; ++ox) {
            bool all = true;
            for (uint32_t y = 0; y < k_height && all; y += k_block)
                for (uint32_t x = 0; x < k_width && all; x += k_block)
                    all = image->pixel(ox + x, oy + y) == pattern(x, y);
            if (all)
                where = std::pair(ox, oy);
        }
    }
    ASSERT_TRUE(where) << "the screen is not in noVNC's page (" << shot << ")";
    size_t wrong = 0;
    for (uint32_t y = 0; y < k_height; ++y)
        for (uint32_t x = 0; x < k_width; ++x)
            wrong += image->pixel(where->first + x, where->second + y) != pattern(x, y);
    EXPECT_EQ(wrong, 0u) << "at " << where->first << "," << where->second;
}

// The display thread serves the clients: one that asks for updates and never reads them fills
// its socket and holds that thread, while the event loop (QMP, serial, virtio back ends in
// vireo) goes on answering at once. Served from the loop, each write would hold it for a second.
TEST_F(VncFixture, AClientThatNeverReadsDoesNotHoldTheEventLoop)
{
    start();
    RawClient stuck(port());
    uint16_t width = 0, height = 0;
    std::string name;
    ASSERT_TRUE(stuck.handshake(width, height, name));
    int small = 4096;
    ASSERT_EQ(::setsockopt(stuck.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    stuck.send(std::vector<uint8_t> { 2, 0, 0, 1, 0, 0, 0, 0 }); // raw only: the most bytes
    for (int i = 0; i < 64; ++i)
        stuck.send(std::vector<uint8_t> { 3, 0, 0, 0, 0, 0, uint8_t(k_width >> 8), uint8_t(k_width), 0, uint8_t(k_height) });

    // A handler on the event loop, rung every 20 ms while the guest's screen keeps changing.
    auto bell = std::move(*EventFd::create());
    std::atomic<int64_t> answered_ns { 0 };
    ASSERT_TRUE(m_loop->add(bell.fd(), EPOLLIN, [&](uint32_t) {
        bell.consume();
        answered_ns = std::chrono::steady_clock::now().time_since_epoch().count();
    }));
    std::chrono::nanoseconds worst {};
    for (int i = 0; i < 100; ++i) {
        m_source.draw(i % 2 ? k_width : k_width - 8, k_height); // a resize: a whole new frame
        auto rung = std::chrono::steady_clock::now();
        bell.signal();
        while (answered_ns.load() < rung.time_since_epoch().count()
            && std::chrono::steady_clock::now() - rung < std::chrono::seconds(3))
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        worst = std::max(worst, std::chrono::steady_clock::now() - rung);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_LT(worst, std::chrono::milliseconds(250)) << "the event loop waited for a VNC client";
    m_loop->remove(bell.fd());
}

// As in vireo: the server is made before the event loop's filter, and its display thread (from
// the spawner) serves the clients under the display filter. The server runs in a child whose
// main thread has entered the loop's filter; a call outside either list would end the child
// with the sandbox's message.
TEST(VncSandboxed, ClientsServedUnderTheEventLoopsFilter)
{
    if (!have_vncsnapshot())
        GTEST_SKIP() << "vncsnapshot is not installed";
    int ready[2];
    int errors[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(errors, O_CLOEXEC), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(errors[1], STDERR_FILENO);
        std::signal(SIGPIPE, SIG_IGN);
        if (!sandbox::prepare(SandboxConfig { .enabled = true }))
            ::_exit(2);
        auto loop = std::move(*EventLoop::create());
        PatternSource source;
        RecordingInput input;
        auto refresh = std::move(*DisplayRefresh::create(*loop, source, std::chrono::milliseconds(10)));
        std::unique_ptr<VncServer> server;
        uint32_t display = 150 + static_cast<uint32_t>(::getpid() % 400);
        for (; display < 1000 && !server; ++display) {
            VncServerOptions options;
            options.config.host = "127.0.0.1";
            options.config.display = display;
            options.config.text = fmt::format("127.0.0.1:{}", display);
            options.config.websocket_port = static_cast<uint16_t>(5700 + display);
            options.config.password = true;
            options.password = "s3cret";
            options.desktop_name = "pattern";
            if (auto created = VncServer::create(*loop, std::move(options)))
                server = std::move(*created);
        }
        if (!server || !server->attach(refresh.get(), &input))
            ::_exit(3);
        if (!sandbox::enter(sandbox::ThreadKind::EventLoop))
            ::_exit(4);
        --display;
        if (::write(ready[1], &display, sizeof(display)) != sizeof(display))
            ::_exit(5);
        loop->run();
        ::_exit(0);
    }
    ::close(ready[1]);
    ::close(errors[1]);
    std::string output;
    std::thread reader([&] {
        char buffer[512];
        ssize_t n;
        while ((n = ::read(errors[0], buffer, sizeof(buffer))) > 0)
            output.append(buffer, static_cast<size_t>(n));
    });
    auto end_child = [&] {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        reader.join();
        ::close(errors[0]);
    };
    uint32_t display = 0;
    if (::read(ready[0], &display, sizeof(display)) != ssize_t(sizeof(display))) {
        end_child();
        FAIL() << "the server did not start: " << output;
    }
    ::close(ready[0]);
    auto dir = std::filesystem::temp_directory_path() / fmt::format("vireo-vnc-sandbox-{}", ::getpid());
    std::filesystem::create_directories(dir);
    auto password = (dir / "pw").string();
    char secret[] = "s3cret";
    ASSERT_EQ(rfbEncryptAndStorePasswd(secret, password.data()), 0);
    for (const char* encodings : { "", "-nojpeg -encodings \"hextile copyrect\"", "-nojpeg -encodings \"zlib\"" }) {
        auto out = (dir / "screen.jpg").string();
        auto command = fmt::format("timeout 20 vncsnapshot -quiet -quality 100 -passwd {} {} 127.0.0.1:{} {} >/dev/null 2>&1",
            password, encodings, display, out);
        EXPECT_EQ(std::system(command.c_str()), 0) << encodings;
        expect_pattern(out);
    }
    {
        // A WebSocket client (noVNC's way in): the upgrade is answered (RFC 6455 section 1.3's
        // sample key), then the RFB version comes in a binary frame.
        RawClient client(static_cast<uint16_t>(5700 + display));
        client.send("GET / HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost\r\n"
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Protocol: binary\r\n\r\n");
        std::string reply;
        while (reply.find("\r\n\r\n") == std::string::npos) {
            auto byte = client.read(1);
            if (!byte)
                break;
            reply.push_back(static_cast<char>((*byte)[0]));
        }
        EXPECT_NE(reply.find(" 101 "), std::string::npos) << reply;
        EXPECT_NE(reply.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << reply;
        auto frame = client.read(2 + 12);
        EXPECT_TRUE(frame && std::string(frame->begin() + 2, frame->end()) == "RFB 003.008\n");
    }
    // The extended key event (its acknowledgement is written by the display thread). No ASSERT
    // here: the child must be ended below whatever happens.
    auto extended_key_event = [&]() -> bool {
        RawClient client(static_cast<uint16_t>(5900 + display));
        if (!client.read(12) || !client.send("RFB 003.008\n"))
            return false;
        auto count = client.read(1);
        if (!count || (*count)[0] == 0 || !client.read((*count)[0]))
            return false;
        client.send(std::vector<uint8_t> { 2 }); // VNC authentication
        auto challenge = client.read(16);
        if (!challenge)
            return false;
        char key[] = "s3cret";
        rfbEncryptBytes(challenge->data(), key);
        client.send(*challenge);
        auto result = client.read(4);
        if (!result || RawClient::be32(*result, 0) != 0)
            return false;
        client.send(std::vector<uint8_t> { 1 });
        auto init = client.read(24);
        if (!init || !client.read(RawClient::be32(*init, 20)))
            return false;
        client.send(std::vector<uint8_t> { 2, 0, 0, 1, 0xff, 0xff, 0xfe, 0xfe });
        auto ack = client.read(16);
        if (!ack || RawClient::be32(*ack, 12) != 0xfffffefeu)
            return false;
        client.send(std::vector<uint8_t> { 255, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x1e });
        return client.send(std::vector<uint8_t> { 5, 1, 0, 20, 0, 30 });
    };
    EXPECT_TRUE(extended_key_event());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), 0) << "the server's process ended";
    end_child();
    std::filesystem::remove_all(dir);
    EXPECT_EQ(output.find("sandbox"), std::string::npos) << output;
    if (::testing::Test::HasFailure())
        ADD_FAILURE() << "the server said: " << output;
}

// -vnc unix:PATH: the socket file is made with mode 0600 and a client gets the RFB greeting.
TEST(VncServerUnix, ListensOnAUnixSocket)
{
    std::signal(SIGPIPE, SIG_IGN);
    auto dir = std::filesystem::temp_directory_path() / fmt::format("vireo-vnc-unix-{}", ::getpid());
    std::filesystem::create_directories(dir);
    auto path = (dir / "vnc.sock").string();
    auto loop = std::move(*EventLoop::create());
    VncServerOptions options;
    options.config.unix_path = path;
    options.config.text = "unix:" + path;
    options.desktop_name = "unix";
    auto server = VncServer::create(*loop, std::move(options));
    ASSERT_TRUE(server) << server.error().describe();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::thread thread([&] { loop->run(); });
    UniqueFd client(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    timeval timeout { 5, 0 };
    ::setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    char greeting[12] = {};
    size_t got = 0;
    while (got < sizeof(greeting)) {
        ssize_t n = ::recv(client.get(), greeting + got, sizeof(greeting) - got, 0);
        if (n <= 0)
            break;
        got += size_t(n);
    }
    EXPECT_EQ(std::string(greeting, got), "RFB 003.008\n");
    client.reset();
    loop->stop();
    thread.join();
    server->reset();
    std::filesystem::remove_all(dir);
}

TEST(VncServerErrors, PortInUseIsAnError)
{
    auto loop = std::move(*EventLoop::create());
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::listen(fd, 1), 0);
    socklen_t length = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    uint16_t port = ntohs(address.sin_port);
    if (port < 5900) {
        ::close(fd);
        GTEST_SKIP() << "ephemeral port below 5900";
    }
    VncServerOptions options;
    options.config.host = "127.0.0.1";
    options.config.display = port - 5900u;
    options.config.text = fmt::format("127.0.0.1:{}", options.config.display);
    auto server = VncServer::create(*loop, options);
    ::close(fd);
    ASSERT_FALSE(server);
    EXPECT_EQ(server.error().message,
        fmt::format("-vnc 127.0.0.1:{}: cannot listen on 127.0.0.1:{}", options.config.display, port));
    EXPECT_EQ(server.error().code, EADDRINUSE);
}

TEST(VncServerErrors, UnreadableSecretFile)
{
    VmConfig config;
    config.secrets.push_back(SecretConfig { "pw", "", "/nonexistent/pw.txt" });
    auto secret = read_vnc_secret(config, "pw");
    ASSERT_FALSE(secret);
    EXPECT_NE(secret.error().describe().find("/nonexistent/pw.txt"), std::string::npos);
}
