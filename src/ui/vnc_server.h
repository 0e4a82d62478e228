#pragma once
// The VNC server (RFB 3.8, RFC 6143) through libvncserver, served from vireo's event loop: the
// listening sockets are vireo's own (TCP on every address QEMU would use, a Unix socket, a
// WebSocket port for noVNC), each accepted connection is handed to libvncserver, and a client's
// readable socket runs one rfbProcessEvents(0) on the loop's thread. Encodings (raw, copyrect,
// hextile, zlib, tight, zrle, ...) are libvncserver's, as each client negotiates them.
//
// The server outlives the machine: VmLifecycle attaches it to each machine's display refresh
// and input router (i8042 or virtio input) after building it, and detaches it before destroying it. Loop thread only.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/event_loop.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "config/vm_config.h"
#include "devices/display/display_refresh.h"
#include "devices/display/display_surface.h"
#include "devices/input/user_input.h"
#include "ui/keymaps.h"

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

    // Opens the listening sockets: an address in use or a bad path is an error here.
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

    // DisplayConsumer: copies the dirty rectangles into the server's framebuffer and sends them.
    void display_updated(const DisplaySurface& surface, const DisplayUpdate& update) override;

    [[nodiscard]] size_t client_count() const { return m_clients.size(); }
    [[nodiscard]] uint32_t width() const { return m_width; }
    [[nodiscard]] uint32_t height() const { return m_height; }

private:
    struct Listener {
        UniqueFd fd;
        std::string description;
    };
    struct Client {
        int fd = -1;             // registered on the loop
        bool qemu_keys = false;  // announced QEMU's extended key event, and was acknowledged
    };
    VncServer(EventLoop& loop, VncServerOptions options);
    [[nodiscard]] Result<void> open_listeners();
    [[nodiscard]] Result<void> start_screen();
    void accept_client(int listen_fd);
    void process();
    void client_gone(_rfbClientRec* client);
    void key(bool down, uint32_t keysym);
    bool enable_qemu_keys(_rfbClientRec* client);
    bool qemu_message(_rfbClientRec* client);
    void pointer(int button_mask, int x, int y);
    [[nodiscard]] bool check_password(_rfbClientRec* client, const char* response, int length) const;

    static void on_key(signed char down, unsigned int keysym, _rfbClientRec* client);
    static void on_pointer(int button_mask, int x, int y, _rfbClientRec* client);
    static void on_client_gone(_rfbClientRec* client);
    static signed char on_check_password(_rfbClientRec* client, const char* response, int length);
    friend struct VncExtensionHooks; // libvncserver's protocol extension calls (vnc_server.cpp)

    EventLoop& m_loop;
    VncServerOptions m_options;
    const Keymap& m_keymap;
    std::vector<Listener> m_listeners;
    _rfbScreenInfo* m_screen = nullptr;
    std::vector<uint32_t> m_frame; // what the clients see: XRGB, m_width pixels a row
    uint32_t m_width = k_initial_width;
    uint32_t m_height = k_initial_height;
    std::map<_rfbClientRec*, Client> m_clients;
    // QEMU's extended key event, enabled on each client as it connects (not registered with
    // libvncserver's process-wide list of extensions).
    std::unique_ptr<_rfbProtocolExtension> m_qemu_extension;
    int m_qemu_encodings[2];
    DisplayRefresh* m_display = nullptr;
    UserInput* m_input = nullptr;
    bool m_authenticate = false;
    std::optional<std::string> m_password;
    std::optional<std::pair<int, int>> m_last_pointer;
    int m_last_buttons = 0;
    bool m_closing = false;
};

// Reads the secret -vnc password-secret= names (QEMU 7.2: the file's or data='s bytes as they
// are, newline included).
[[nodiscard]] Result<std::string> read_vnc_secret(const VmConfig& config, const std::string& id);

} // namespace vireo
