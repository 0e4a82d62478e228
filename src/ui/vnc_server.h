#pragma once
// The VNC server (RFB 3.8, RFC 6143) through libvncserver, on a display thread of its own: the
// listening sockets are vireo's (TCP on every address QEMU would use, a Unix socket, a
// WebSocket port for noVNC); the display thread (sandbox kind "display") accepts connections,
// holds each at a gate until it is clear what the client is (ui/vnc_connection_gate.h), hands
// them to libvncserver and runs rfbProcessEvents(0) when a client's socket is readable or
// a new frame came. Encodings (raw, copyrect, hextile, zlib, tight, zrle, ...) are
// libvncserver's, as each client negotiates them. A slow or hostile client holds that thread
// only: the event loop (QMP, serial, virtio back ends) never waits for a client.
//
// Across the two threads (docs/ARCHITECTURE.md, "VNC"):
//   event loop -> display: refresh_from() has the display source draw into a staging frame under
//     a lock (only the pixels that changed) and rings the display thread's doorbell;
//   display -> event loop: key and pointer events go into a bounded queue and ring the loop's
//     doorbell; the loop hands them to the machine's UserInput (InputRouter), so the devices see
//     input on the loop's thread as before and attach()/detach() need no more than the loop.
//
// The server outlives the machine: VmLifecycle attaches it to each machine's display refresh
// and input router (i8042 or virtio input) after building it, and detaches it before destroying
// it. The public functions are the event loop's.
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "config/vm_config.h"
#include "devices/display/display_refresh.h"
#include "devices/display/display_surface.h"
#include "devices/input/user_input.h"
#include "ui/frame_diff.h"
#include "ui/keymaps.h"
#include "ui/vnc_connection_gate.h"

struct _rfbScreenInfo;
struct _rfbClientRec;
struct _rfbProtocolExtension;

namespace vireo {

struct VncServerOptions {
    VncConfig config;
    std::string desktop_name;          // -name's guest name, or "vireo"
    const Keymap* keymap = nullptr;    // null: en-us
    std::optional<std::string> password; // VNC authentication with this password (password-secret=)
};

class VncServer final : public DisplayConsumer {
public:
    static constexpr uint32_t k_initial_width = 640;
    static constexpr uint32_t k_initial_height = 480;
    static constexpr uint16_t k_base_port = 5900;
    // Input events waiting for the loop; past this a client's further events are dropped.
    static constexpr size_t k_max_queued_input = 1024;

    // Opens the listening sockets (an address in use or a bad path is an error here) and starts
    // the display thread.
    [[nodiscard]] static Result<std::unique_ptr<VncServer>> create(EventLoop& loop, VncServerOptions options);
    ~VncServer() override;
    VncServer(const VncServer&) = delete;
    VncServer& operator=(const VncServer&) = delete;

    // A machine's display (null: none, the screen stays black) and keyboard/pointer (null: input
    // is dropped). Call detach() before they go.
    [[nodiscard]] Result<void> attach(DisplayRefresh* display, UserInput* input);
    void detach();

    // QMP set_password: the VNC password from now on (nothing: no client can authenticate). Only
    // with password=on or password-secret=; returns false when authentication is off.
    bool set_password(std::optional<std::string> password);

    // DisplayConsumer: the source draws into the staged frame; the display thread sends what
    // changed.
    bool refresh_from(DisplaySource& source, uint64_t now_ms, Redraw redraw) override;
    // A client has asked for an update that it has not had yet.
    [[nodiscard]] bool wants_frame() const override { return m_client_waiting.load(std::memory_order_relaxed); }

    [[nodiscard]] size_t client_count() const { return m_client_count.load(); }
    [[nodiscard]] uint32_t width() const { return m_width; }
    [[nodiscard]] uint32_t height() const { return m_height; }

private:
    struct Listener {
        UniqueFd fd;
        std::string description;
    };
    struct Client {
        int fd = -1;            // registered on the display thread's loop
        bool qemu_keys = false; // announced QEMU's extended key event, and was acknowledged
    };
    struct KeyInput {
        PcKey key;
        bool down;
    };
    using QueuedInput = std::variant<KeyInput, PointerEvent>;
    using Rect = PixelRect;
    // What the loop hands the display thread: the guest's screen as the display source drew it
    // (the source's surface is this one), and what changed in it since the display thread last
    // took it.
    struct StagedFrame {
        DisplaySurface surface;
        bool resized = false;
        std::vector<Rect> dirty;
    };

    VncServer(EventLoop& loop, std::unique_ptr<EventLoop> display_loop, EventFd frame_ready, EventFd input_ready,
        EventFd frame_wanted, VncServerOptions options);
    [[nodiscard]] Result<void> open_listeners();
    [[nodiscard]] Result<void> start_screen();
    [[nodiscard]] Result<void> start_thread();

    // Display thread.
    void accept_client(int listen_fd);
    void admit_client(UniqueFd fd, bool spoke);
    void forget_closed(int number);
    void process();
    void take_frame();
    void note_waiting_clients();
    void drop_scaled_screens();
    void client_gone(_rfbClientRec* client);
    void key(bool down, uint32_t keysym);
    void pointer(int button_mask, int x, int y);
    void queue_input(QueuedInput input);
    bool enable_qemu_keys(_rfbClientRec* client);
    bool qemu_message(_rfbClientRec* client);
    [[nodiscard]] bool check_password(_rfbClientRec* client, const char* response, int length) const;

    // Event loop.
    void deliver_input();
    void frame_wanted();

    static void on_key(signed char down, unsigned int keysym, _rfbClientRec* client);
    static void on_pointer(int button_mask, int x, int y, _rfbClientRec* client);
    static void on_client_gone(_rfbClientRec* client);
    static signed char on_check_password(_rfbClientRec* client, const char* response, int length);
    friend struct VncExtensionHooks; // libvncserver's protocol extension calls (vnc_server.cpp)

    EventLoop& m_loop;
    std::unique_ptr<EventLoop> m_display_loop;
    EventFd m_frame_ready; // loop -> display thread
    EventFd m_input_ready; // display thread -> loop
    EventFd m_frame_wanted; // display thread -> loop: a client began waiting for an update
    VncServerOptions m_options;
    const Keymap& m_keymap;
    bool m_authenticate = false;

    // Event loop's.
    DisplayRefresh* m_display = nullptr;
    UserInput* m_input = nullptr;
    uint32_t m_width = k_initial_width; // the guest's screen, as last handed over
    uint32_t m_height = k_initial_height;

    // Shared, each under its lock.
    std::mutex m_frame_lock;
    StagedFrame m_staged;
    std::mutex m_input_lock;
    std::deque<QueuedInput> m_queued_input;
    mutable std::mutex m_password_lock;
    std::optional<std::string> m_password;
    std::atomic<size_t> m_client_count { 0 };
    std::atomic<bool> m_client_waiting { false }; // written by the display thread

    // Display thread's (set up before it starts, torn down after it ends).
    std::vector<Listener> m_listeners;
    _rfbScreenInfo* m_screen = nullptr;
    std::vector<uint32_t> m_frame; // what the clients see: XRGB, m_screen->width pixels a row
    std::unique_ptr<VncConnectionGate> m_gate; // new connections, until libvncserver can take them
    std::map<_rfbClientRec*, Client> m_clients;
    std::optional<std::pair<int, int>> m_last_pointer;
    int m_last_buttons = 0;
    bool m_closing = false;
    // QEMU's extended key event, enabled on each client as it connects (not registered with
    // libvncserver's process-wide list of extensions).
    std::unique_ptr<_rfbProtocolExtension> m_qemu_extension;
    int m_qemu_encodings[2] = {};

    std::thread m_thread;
};

// Reads the secret -vnc password-secret= names (QEMU 7.2: the file's or data='s bytes as they
// are, newline included).
[[nodiscard]] Result<std::string> read_vnc_secret(const VmConfig& config, const std::string& id);

} // namespace vireo
