#include "net/slirp_backend.h"

#include <arpa/inet.h>
#include <sys/timerfd.h>

#include <charconv>
#include <climits>
#include <cstring>
#include <ctime>

#include <slirp/libslirp.h>

#include "base/log.h"
#include "config/vm_config.h"

namespace vireo {

namespace {

// Frames queued for a guest that is not taking them; beyond this slirp's frames are dropped,
// which libslirp allows (TCP retransmits).
constexpr size_t k_max_queued_frames = 512;
constexpr size_t k_max_queued_bytes = 4 << 20;

in_addr make_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    in_addr address {};
    address.s_addr = htonl((uint32_t { a } << 24) | (uint32_t { b } << 16) | (uint32_t { c } << 8) | d);
    return address;
}

int64_t monotonic_ns()
{
    timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return int64_t { now.tv_sec } * 1'000'000'000 + now.tv_nsec;
}

short to_poll(int slirp_events)
{
    int events = 0;
    if (slirp_events & SLIRP_POLL_IN)
        events |= POLLIN;
    if (slirp_events & SLIRP_POLL_OUT)
        events |= POLLOUT;
    if (slirp_events & SLIRP_POLL_PRI)
        events |= POLLPRI;
    return static_cast<short>(events);
}

int from_poll(short revents)
{
    int events = 0;
    if (revents & POLLIN)
        events |= SLIRP_POLL_IN;
    if (revents & POLLOUT)
        events |= SLIRP_POLL_OUT;
    if (revents & POLLPRI)
        events |= SLIRP_POLL_PRI;
    if (revents & (POLLERR | POLLNVAL))
        events |= SLIRP_POLL_ERR;
    if (revents & POLLHUP)
        events |= SLIRP_POLL_HUP;
    return events;
}

SlirpBackend& self(void* opaque) { return *static_cast<SlirpBackend*>(opaque); }

} // namespace

SlirpOptions SlirpOptions::defaults()
{
    SlirpOptions options;
    options.network = make_ipv4(10, 0, 2, 0);
    options.netmask = make_ipv4(255, 255, 255, 0);
    options.host = make_ipv4(10, 0, 2, 2);
    options.dhcp_start = make_ipv4(10, 0, 2, 15);
    options.dns = make_ipv4(10, 0, 2, 3);
    return options;
}

Result<std::unique_ptr<SlirpBackend>> SlirpBackend::create(EventLoop& loop, const SlirpOptions& options)
{
    int raw = ::epoll_create1(EPOLL_CLOEXEC);
    if (raw < 0)
        return errno_error("slirp: epoll_create1");
    UniqueFd epoll(raw);
    raw = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (raw < 0)
        return errno_error("slirp: timerfd_create");
    UniqueFd timer(raw);
    auto kick = TRY(EventFd::create());
    auto rx_ready = TRY(EventFd::create());
    for (int fd : { timer.get(), kick.fd() }) {
        epoll_event event {};
        event.events = EPOLLIN;
        event.data.fd = fd;
        if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &event) < 0)
            return errno_error("slirp: epoll_ctl");
    }
    std::unique_ptr<SlirpBackend> backend(new SlirpBackend(loop, std::move(epoll), std::move(timer), std::move(kick), std::move(rx_ready)));
    backend->m_hostname = options.hostname;
    backend->m_domainname = options.domainname;

    SlirpConfig config {};
    config.version = 4;
    config.restricted = options.restricted ? 1 : 0;
    config.in_enabled = options.ipv4;
    config.vnetwork = options.network;
    config.vnetmask = options.netmask;
    config.vhost = options.host;
    config.vdhcp_start = options.dhcp_start;
    config.vnameserver = options.dns;
    config.in6_enabled = options.ipv6;
    // QEMU's IPv6 defaults: fec0::/64, host fec0::2, DNS fec0::3.
    ::inet_pton(AF_INET6, "fec0::", &config.vprefix_addr6);
    config.vprefix_len = 64;
    ::inet_pton(AF_INET6, "fec0::2", &config.vhost6);
    ::inet_pton(AF_INET6, "fec0::3", &config.vnameserver6);
    config.vhostname = backend->m_hostname.empty() ? nullptr : backend->m_hostname.c_str();
    config.vdomainname = backend->m_domainname.empty() ? nullptr : backend->m_domainname.c_str();
    config.if_mtu = 0; // libslirp's defaults (1500)
    config.if_mru = 0;
    config.disable_host_loopback = false;
    config.enable_emu = false; // libslirp calls its protocol emulation unsafe

    // libslirp keeps a pointer to the callbacks: they must live as long as the stack.
    static const SlirpCb callbacks = {
        .send_packet = cb_send_packet,
        .guest_error = cb_guest_error,
        .clock_get_ns = cb_clock_get_ns,
        .timer_new = cb_timer_new,
        .timer_free = cb_timer_free,
        .timer_mod = cb_timer_mod,
        .register_poll_fd = cb_register_poll_fd,
        .unregister_poll_fd = cb_unregister_poll_fd,
        .notify = cb_notify,
        .init_completed = nullptr,
        .timer_new_opaque = nullptr,
    };
    backend->m_slirp = ::slirp_new(&config, &callbacks, backend.get());
    if (!backend->m_slirp)
        return make_error("slirp: cannot create the user-mode network stack");

    for (const auto& forward : options.forwards) {
        in_addr guest = forward.guest_addr.s_addr ? forward.guest_addr : options.dhcp_start;
        int udp = forward.protocol == ForwardProtocol::Udp ? 1 : 0;
        if (::slirp_add_hostfwd(backend->m_slirp, udp, forward.host_addr, forward.host_port, guest, forward.guest_port) < 0) {
            char host[INET_ADDRSTRLEN] = {};
            ::inet_ntop(AF_INET, &forward.host_addr, host, sizeof(host));
            return make_error("slirp: cannot forward host {}:{}:{} (address in use or not available)",
                udp ? "udp" : "tcp", host, forward.host_port);
        }
    }

    auto* raw_backend = backend.get();
    TRY(loop.add(backend->fd(), EPOLLIN, [raw_backend](uint32_t) { raw_backend->run_cycle(); }));
    backend->m_loop_registered = true;
    backend->refill();
    return backend;
}

SlirpBackend::~SlirpBackend()
{
    if (m_loop_registered)
        m_loop.remove(m_epoll.get());
    if (m_rx_enabled)
        m_loop.remove(m_rx_ready.fd());
    if (m_slirp)
        ::slirp_cleanup(m_slirp);
}

void SlirpBackend::run_cycle()
{
    uint64_t expirations = 0;
    [[maybe_unused]] auto n = ::read(m_timer.get(), &expirations, sizeof(expirations));
    m_kick.consume();

    if (!m_pollfds.empty()) {
        int ready = ::poll(m_pollfds.data(), m_pollfds.size(), 0);
        if (ready < 0)
            for (auto& entry : m_pollfds)
                entry.revents = 0;
    }
    // Also runs slirp's TCP timers, so it is called on every cycle, ready fds or not.
    ::slirp_pollfds_poll(m_slirp, 0, cb_get_revents, this);
    run_expired_timers();
    refill();
}

void SlirpBackend::refill()
{
    m_pollfds.clear();
    uint32_t timeout = UINT32_MAX;
    ::slirp_pollfds_fill(m_slirp, &timeout, cb_add_poll, this);
    std::map<int, uint32_t> wanted;
    for (const auto& entry : m_pollfds) {
        uint32_t events = 0;
        if (entry.events & POLLIN)
            events |= EPOLLIN;
        if (entry.events & POLLOUT)
            events |= EPOLLOUT;
        if (entry.events & POLLPRI)
            events |= EPOLLPRI;
        wanted[entry.fd] |= events;
    }
    sync_epoll(wanted);
    arm_timer(timeout);
}

void SlirpBackend::sync_epoll(const std::map<int, uint32_t>& wanted)
{
    for (auto it = m_registered.begin(); it != m_registered.end();) {
        auto found = wanted.find(it->first);
        if (found == wanted.end() || found->second == 0) {
            ::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, it->first, nullptr);
            it = m_registered.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& [fd, events] : wanted) {
        if (events == 0)
            continue;
        auto it = m_registered.find(fd);
        if (it != m_registered.end() && it->second == events)
            continue;
        epoll_event event {};
        event.events = events;
        event.data.fd = fd;
        // A closed fd leaves epoll by itself and its number may come back: fall back either way.
        int op = it == m_registered.end() ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        if (::epoll_ctl(m_epoll.get(), op, fd, &event) < 0) {
            op = op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
            if (::epoll_ctl(m_epoll.get(), op, fd, &event) < 0) {
                log_warn("slirp: cannot watch fd {}: {}", fd, std::strerror(errno));
                m_registered.erase(fd);
                continue;
            }
        }
        m_registered[fd] = events;
    }
}

void SlirpBackend::arm_timer(uint32_t slirp_timeout_ms)
{
    int64_t now = monotonic_ns();
    int64_t deadline = slirp_timeout_ms == UINT32_MAX ? INT64_MAX : now + int64_t { slirp_timeout_ms } * 1'000'000;
    for (const auto& timer : m_timers)
        if (timer.expire_ms >= 0)
            deadline = std::min(deadline, timer.expire_ms * 1'000'000);
    itimerspec spec {};
    if (deadline != INT64_MAX) {
        deadline = std::max(deadline, int64_t { 1 }); // 0 would disarm
        spec.it_value.tv_sec = deadline / 1'000'000'000;
        spec.it_value.tv_nsec = deadline % 1'000'000'000;
    }
    ::timerfd_settime(m_timer.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

void SlirpBackend::run_expired_timers()
{
    int64_t now_ms = monotonic_ns() / 1'000'000;
    // A callback may modify or free timers: collect first, then re-check each one.
    std::vector<Timer*> due;
    for (auto& timer : m_timers)
        if (timer.expire_ms >= 0 && timer.expire_ms <= now_ms)
            due.push_back(&timer);
    for (Timer* timer : due) {
        bool alive = false;
        for (auto& candidate : m_timers)
            alive = alive || &candidate == timer;
        if (!alive || timer->expire_ms < 0 || timer->expire_ms > now_ms)
            continue;
        timer->expire_ms = -1;
        timer->callback(timer->opaque);
    }
}

Result<void> SlirpBackend::send(std::span<const iovec> iov)
{
    std::vector<uint8_t> frame;
    for (const auto& part : iov) {
        auto* base = static_cast<const uint8_t*>(part.iov_base);
        frame.insert(frame.end(), base, base + part.iov_len);
    }
    if (frame.empty() || frame.size() > INT_MAX)
        return {};
    ::slirp_input(m_slirp, frame.data(), static_cast<int>(frame.size()));
    // The frame may have opened a socket: have slirp list its fds again.
    refill();
    return {};
}

Result<size_t> SlirpBackend::receive_into(std::span<const iovec> iov)
{
    if (m_rx.empty())
        return size_t { 0 };
    auto frame = std::move(m_rx.front());
    m_rx.pop_front();
    m_rx_bytes -= frame.size();
    return copy_frame_to_iovecs(frame, iov);
}

void SlirpBackend::set_receive_enabled(bool enabled)
{
    if (enabled == m_rx_enabled)
        return;
    if (!enabled) {
        m_loop.remove(m_rx_ready.fd());
        m_rx_enabled = false;
        return;
    }
    auto added = m_loop.add(m_rx_ready.fd(), EPOLLIN, [this](uint32_t) {
        m_rx_ready.consume();
        if (m_handler && !m_rx.empty())
            m_handler();
    });
    if (!added) {
        log_error("slirp: cannot watch rx eventfd: {}", added.error().describe());
        return;
    }
    m_rx_enabled = true;
    if (!m_rx.empty())
        m_rx_ready.signal();
}

void SlirpBackend::queue_frame(const uint8_t* data, size_t length)
{
    if (m_rx.size() >= k_max_queued_frames || m_rx_bytes + length > k_max_queued_bytes)
        return;
    m_rx.emplace_back(data, data + length);
    m_rx_bytes += length;
    if (m_rx_enabled)
        m_rx_ready.signal();
}

ssize_t SlirpBackend::cb_send_packet(const void* buf, size_t len, void* opaque)
{
    self(opaque).queue_frame(static_cast<const uint8_t*>(buf), len);
    return static_cast<ssize_t>(len);
}

void SlirpBackend::cb_guest_error(const char* msg, void*)
{
    VIREO_GUEST_WARN("slirp: guest error: {}", msg);
}

int64_t SlirpBackend::cb_clock_get_ns(void*) { return monotonic_ns(); }

void* SlirpBackend::cb_timer_new(void (*cb)(void*), void* cb_opaque, void* opaque)
{
    auto& timers = self(opaque).m_timers;
    timers.push_back(Timer { cb, cb_opaque, -1 });
    return &timers.back();
}

void SlirpBackend::cb_timer_free(void* timer, void* opaque)
{
    self(opaque).m_timers.remove_if([timer](const Timer& t) { return &t == timer; });
}

void SlirpBackend::cb_timer_mod(void* timer, int64_t expire_ms, void* opaque)
{
    static_cast<Timer*>(timer)->expire_ms = std::max<int64_t>(expire_ms, 0);
    self(opaque).m_kick.signal(); // re-arm the timerfd on the next cycle
}

void SlirpBackend::cb_register_poll_fd(int, void*)
{
    // Fds are picked up from slirp_pollfds_fill on every cycle.
}

void SlirpBackend::cb_unregister_poll_fd(int fd, void* opaque)
{
    auto& backend = self(opaque);
    if (backend.m_registered.erase(fd))
        ::epoll_ctl(backend.m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void SlirpBackend::cb_notify(void* opaque) { self(opaque).m_kick.signal(); }

int SlirpBackend::cb_add_poll(int fd, int events, void* opaque)
{
    auto& pollfds = self(opaque).m_pollfds;
    pollfds.push_back(pollfd { fd, to_poll(events), 0 });
    return static_cast<int>(pollfds.size() - 1);
}

int SlirpBackend::cb_get_revents(int index, void* opaque)
{
    auto& pollfds = self(opaque).m_pollfds;
    if (index < 0 || static_cast<size_t>(index) >= pollfds.size())
        return 0;
    return from_poll(pollfds[static_cast<size_t>(index)].revents);
}

namespace {

Result<in_addr> parse_ipv4(const std::string& text, const char* what)
{
    in_addr address {};
    if (::inet_pton(AF_INET, text.c_str(), &address) != 1)
        return make_error("user: invalid {}={}", what, text);
    return address;
}

Result<bool> parse_switch(const std::string& text, const char* what)
{
    if (text == "on" || text == "yes" || text == "true" || text == "y")
        return true;
    if (text == "off" || text == "no" || text == "false" || text == "n")
        return false;
    return make_error("user: invalid {}={} (expected on or off)", what, text);
}

// "net=10.0.2.0/24" or "net=10.0.2.0/255.255.255.0" or a bare address (/24).
Result<void> parse_network(const std::string& text, SlirpOptions& options)
{
    size_t slash = text.find('/');
    options.network = TRY(parse_ipv4(text.substr(0, slash), "net"));
    uint32_t mask = 0xffffff00;
    if (slash != std::string::npos) {
        std::string suffix = text.substr(slash + 1);
        if (suffix.find('.') != std::string::npos) {
            mask = ntohl(TRY(parse_ipv4(suffix, "net")).s_addr);
        } else {
            unsigned bits = 0;
            auto [end, ec] = std::from_chars(suffix.data(), suffix.data() + suffix.size(), bits);
            if (ec != std::errc() || end != suffix.data() + suffix.size() || bits < 1 || bits > 30)
                return make_error("user: invalid net={}", text);
            mask = ~0U << (32 - bits);
        }
    }
    options.netmask.s_addr = htonl(mask);
    options.network.s_addr &= options.netmask.s_addr;
    return {};
}

} // namespace

Result<SlirpOptions> slirp_options_from_config(const NetdevConfig& config)
{
    SlirpOptions options = SlirpOptions::defaults();
    const auto& given = config.options;
    if (auto it = given.find("net"); it != given.end()) {
        TRY(parse_network(it->second, options));
        // Like QEMU, the other addresses follow the network unless given: .2, .15, .3.
        uint32_t base = ntohl(options.network.s_addr);
        options.host.s_addr = htonl(base | 2);
        options.dhcp_start.s_addr = htonl(base | 15);
        options.dns.s_addr = htonl(base | 3);
    }
    for (const auto& [key, value] : given) {
        if (key == "net")
            continue;
        if (key == "host")
            options.host = TRY(parse_ipv4(value, "host"));
        else if (key == "dhcpstart")
            options.dhcp_start = TRY(parse_ipv4(value, "dhcpstart"));
        else if (key == "dns")
            options.dns = TRY(parse_ipv4(value, "dns"));
        else if (key == "restrict")
            options.restricted = TRY(parse_switch(value, "restrict"));
        else if (key == "ipv4")
            options.ipv4 = TRY(parse_switch(value, "ipv4"));
        else if (key == "ipv6")
            options.ipv6 = TRY(parse_switch(value, "ipv6"));
        else if (key == "hostname")
            options.hostname = value;
        else if (key == "domainname")
            options.domainname = value;
        else if (key == "hostfwd")
            options.forwards.push_back(TRY(parse_hostfwd(value)));
        else
            return make_error("user: unsupported option {}={}", key, value);
    }
    for (const auto& rule : config.hostfwd)
        options.forwards.push_back(TRY(parse_hostfwd(rule)));
    for (in_addr address : { options.host, options.dhcp_start, options.dns })
        if ((address.s_addr & options.netmask.s_addr) != options.network.s_addr)
            return make_error("user: host, dhcpstart and dns must lie inside net");
    return options;
}

} // namespace vireo
