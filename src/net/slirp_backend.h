#pragma once
// User-mode networking through libslirp (4.x API): the guest sees a NAT router at 10.0.2.2
// with DHCP (first address 10.0.2.15) and DNS (10.0.2.3), QEMU's defaults. Frames carry no
// vnet header. libslirp's own sockets, its timers and a wake-up eventfd sit in a private epoll
// set; the event loop watches that one fd (see fd()), and each time it is readable we run one
// poll cycle: poll(2) the sockets slirp asked for, slirp_pollfds_poll, expire timers, then
// slirp_pollfds_fill again and re-sync the private epoll set and the timerfd.
// Nothing here sends traffic by itself: libslirp only acts on guest frames and forwarded ports.
#include <netinet/in.h>
#include <poll.h>

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "base/unique_fd.h"
#include "net/hostfwd.h"
#include "net/net_backend.h"

struct Slirp;

namespace vireo {

struct NetdevConfig;

struct SlirpOptions {
    in_addr network {};     // 10.0.2.0 (all addresses in network byte order)
    in_addr netmask {};     // 255.255.255.0
    in_addr host {};        // 10.0.2.2
    in_addr dhcp_start {};  // 10.0.2.15
    in_addr dns {};         // 10.0.2.3
    bool ipv4 = true;
    bool ipv6 = true;       // fec0::/64, host fec0::2, dns fec0::3
    bool restricted = false; // restrict=on: the guest reaches only the host side (10.0.2.2)
    std::string hostname;
    std::string domainname;
    std::vector<HostForward> forwards;

    // QEMU's defaults.
    [[nodiscard]] static SlirpOptions defaults();
};

class SlirpBackend final : public NetBackend {
public:
    // Creates the stack, adds the port forwards and registers fd() with the loop, which must
    // outlive the back end.
    [[nodiscard]] static Result<std::unique_ptr<SlirpBackend>> create(EventLoop& loop, const SlirpOptions& options);
    ~SlirpBackend() override;
    SlirpBackend(const SlirpBackend&) = delete;
    SlirpBackend& operator=(const SlirpBackend&) = delete;

    // The private epoll fd the event loop watches (registered by create()).
    [[nodiscard]] int fd() const { return m_epoll.get(); }
    // One poll cycle; the loop calls it when fd() is readable (tests may call it directly).
    void run_cycle();
    // Frames from slirp waiting for the device.
    [[nodiscard]] size_t pending_frames() const { return m_rx.size(); }

    [[nodiscard]] bool has_vnet_header() const override { return false; }
    [[nodiscard]] Result<void> set_offloads(const NetOffloads&) override { return {}; }
    [[nodiscard]] Result<void> send(std::span<const iovec> iov) override;
    [[nodiscard]] Result<size_t> receive_into(std::span<const iovec> iov) override;
    void set_receive_handler(std::function<void()> handler) override { m_handler = std::move(handler); }
    void set_receive_enabled(bool enabled) override;

private:
    struct Timer {
        void (*callback)(void*) = nullptr;
        void* opaque = nullptr;
        int64_t expire_ms = -1; // -1: not armed
    };

    SlirpBackend(EventLoop& loop, UniqueFd epoll, UniqueFd timer, EventFd kick, EventFd rx_ready)
        : m_loop(loop)
        , m_epoll(std::move(epoll))
        , m_timer(std::move(timer))
        , m_kick(std::move(kick))
        , m_rx_ready(std::move(rx_ready))
    {
    }

    void refill();
    void sync_epoll(const std::map<int, uint32_t>& wanted);
    void arm_timer(uint32_t slirp_timeout_ms);
    void run_expired_timers();
    void queue_frame(const uint8_t* data, size_t length);

    // libslirp callbacks (SlirpCb), opaque = this.
    static ssize_t cb_send_packet(const void* buf, size_t len, void* opaque);
    static void cb_guest_error(const char* msg, void* opaque);
    static int64_t cb_clock_get_ns(void* opaque);
    static void* cb_timer_new(void (*cb)(void*), void* cb_opaque, void* opaque);
    static void cb_timer_free(void* timer, void* opaque);
    static void cb_timer_mod(void* timer, int64_t expire_ms, void* opaque);
    static void cb_register_poll_fd(int fd, void* opaque);
    static void cb_unregister_poll_fd(int fd, void* opaque);
    static void cb_notify(void* opaque);
    static int cb_add_poll(int fd, int events, void* opaque);
    static int cb_get_revents(int index, void* opaque);

    EventLoop& m_loop;
    UniqueFd m_epoll;
    UniqueFd m_timer;   // timerfd on CLOCK_MONOTONIC, in m_epoll
    EventFd m_kick;     // in m_epoll: run a cycle soon (slirp's notify)
    EventFd m_rx_ready; // in the loop while receiving is enabled: frames are queued
    ::Slirp* m_slirp = nullptr;
    std::string m_hostname;
    std::string m_domainname;

    std::vector<struct pollfd> m_pollfds; // from the last slirp_pollfds_fill
    std::map<int, uint32_t> m_registered; // fd -> epoll events in m_epoll
    std::list<Timer> m_timers;
    std::deque<std::vector<uint8_t>> m_rx;
    size_t m_rx_bytes = 0;
    bool m_rx_enabled = false;
    bool m_loop_registered = false;
    std::function<void()> m_handler;
};

// SlirpOptions from a -netdev user,... configuration (net=, host=, dhcpstart=, dns=,
// restrict=, ipv4=, ipv6=, hostname=, domainname=, hostfwd=).
[[nodiscard]] Result<SlirpOptions> slirp_options_from_config(const NetdevConfig& config);

} // namespace vireo
