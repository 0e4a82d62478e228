#include "net/tap.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include <charconv>
#include <cstring>

#include "base/log.h"
#include "config/vm_config.h"

namespace vireo {

namespace {

constexpr int k_vnet_header_size = sizeof(VirtioNetHeader);

std::string display_name(const std::string& ifname)
{
    return ifname.empty() ? std::string("tap") : ifname;
}

Result<void> set_nonblocking(int fd)
{
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return errno_error("fcntl O_NONBLOCK");
    return {};
}

// The per-fd setup shared by opened and adopted fds: 12-byte header, offloads off until the
// guest negotiates them (so the kernel sends no GSO frame the guest cannot take).
Result<void> configure(int fd, const std::string& name, bool vnet_header)
{
    TRY(set_nonblocking(fd));
    if (!vnet_header)
        return {};
    int size = k_vnet_header_size;
    if (::ioctl(fd, TUNSETVNETHDRSZ, &size) < 0)
        return errno_error("{}: TUNSETVNETHDRSZ", name);
    if (::ioctl(fd, TUNSETOFFLOAD, 0U) < 0)
        return errno_error("{}: TUNSETOFFLOAD", name);
    return {};
}

Result<bool> check_script(const std::string& value, const char* what)
{
    if (value.empty() || value == "no")
        return true;
    return make_error("tap: {}={} is not supported (vireo runs no scripts; configure the interface "
                      "beforehand and use {}=no)",
        what, value, what);
}

Result<uint32_t> parse_u32(const std::string& text, const char* what)
{
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        return make_error("tap: invalid {}={}", what, text);
    return value;
}

} // namespace

Result<std::vector<std::unique_ptr<TapBackend>>> TapBackend::open(EventLoop& loop, const TapOptions& options)
{
    TRY(check_script(options.script, "script"));
    TRY(check_script(options.downscript, "downscript"));
    std::vector<std::unique_ptr<TapBackend>> queues;

    if (!options.fds.empty()) {
        if (options.queues > 1 && options.queues != options.fds.size())
            return make_error("tap: queues={} but {} fds given", options.queues, options.fds.size());
        for (int raw : options.fds) {
            UniqueFd fd(raw);
            ifreq request {};
            if (::ioctl(fd.get(), TUNGETIFF, &request) < 0)
                return errno_error("tap: fd {} is not a tap device", raw);
            if (!(request.ifr_flags & IFF_TAP))
                return make_error("tap: fd {} is a tun (not tap) device", raw);
            std::string name(request.ifr_name, strnlen(request.ifr_name, IFNAMSIZ));
            bool vnet = options.vnet_hdr && (request.ifr_flags & IFF_VNET_HDR);
            TRY(configure(fd.get(), name, vnet));
            queues.push_back(std::unique_ptr<TapBackend>(new TapBackend(loop, std::move(fd), name, vnet)));
        }
        return queues;
    }

    uint32_t count = options.queues == 0 ? 1 : options.queues;
    std::string name = options.ifname.empty() ? std::string("tap%d") : options.ifname;
    if (name.size() >= IFNAMSIZ)
        return make_error("{}: interface name too long", name);
    for (uint32_t i = 0; i < count; ++i) {
        int raw = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (raw < 0)
            return errno_error("{}: cannot open tap device", display_name(options.ifname));
        UniqueFd fd(raw);

        bool vnet = false;
        if (options.vnet_hdr) {
            unsigned int features = 0;
            vnet = ::ioctl(fd.get(), TUNGETFEATURES, &features) == 0 && (features & IFF_VNET_HDR);
        }
        ifreq request {};
        std::memcpy(request.ifr_name, name.data(), name.size());
        request.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0) | (count > 1 ? IFF_MULTI_QUEUE : 0));
        if (::ioctl(fd.get(), TUNSETIFF, &request) < 0)
            return errno_error("{}: cannot open tap device", display_name(options.ifname));
        // The kernel filled in a %d template; further queues attach to that exact name.
        name.assign(request.ifr_name, strnlen(request.ifr_name, IFNAMSIZ));
        TRY(configure(fd.get(), name, vnet));
        queues.push_back(std::unique_ptr<TapBackend>(new TapBackend(loop, std::move(fd), name, vnet)));
    }
    return queues;
}

TapBackend::~TapBackend()
{
    if (m_watching)
        m_loop.remove(m_fd.get());
}

Result<void> TapBackend::set_offloads(const NetOffloads& offloads)
{
    if (!m_vnet_header)
        return {};
    // TSO without checksum offload is meaningless and the kernel rejects it.
    unsigned int flags = 0;
    if (offloads.csum) {
        flags |= TUN_F_CSUM;
        if (offloads.tso4)
            flags |= TUN_F_TSO4;
        if (offloads.tso6)
            flags |= TUN_F_TSO6;
        if ((offloads.tso4 || offloads.tso6) && offloads.ecn)
            flags |= TUN_F_TSO_ECN;
    }
    if (::ioctl(m_fd.get(), TUNSETOFFLOAD, flags) < 0)
        return errno_error("{}: TUNSETOFFLOAD {:#x}", m_ifname, flags);
    return {};
}

Result<void> TapBackend::send(std::span<const iovec> iov)
{
    ssize_t n = ::writev(m_fd.get(), iov.data(), static_cast<int>(iov.size()));
    if (n < 0) {
        // A full tap queue drops the frame; the guest's protocols recover.
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
            return {};
        return errno_error("{}: write", m_ifname);
    }
    return {};
}

Result<size_t> TapBackend::receive_into(std::span<const iovec> iov)
{
    while (true) {
        ssize_t n = ::readv(m_fd.get(), iov.data(), static_cast<int>(iov.size()));
        if (n >= 0)
            return static_cast<size_t>(n);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return errno_error("{}: read", m_ifname);
    }
}

void TapBackend::set_receive_enabled(bool enabled)
{
    if (enabled == m_watching)
        return;
    if (!enabled) {
        m_loop.remove(m_fd.get());
        m_watching = false;
        return;
    }
    auto added = m_loop.add(m_fd.get(), EPOLLIN, [this](uint32_t) {
        if (m_handler)
            m_handler();
    });
    if (!added) {
        log_error("{}: cannot watch tap fd: {}", m_ifname, added.error().describe());
        return;
    }
    m_watching = true;
}

Result<TapOptions> tap_options_from_config(const NetdevConfig& config)
{
    TapOptions options;
    options.ifname = config.ifname;
    options.queues = config.queues;
    options.vnet_hdr = config.vnet_hdr;
    if (config.fd >= 0)
        options.fds.push_back(config.fd);
    for (const auto& [key, value] : config.options) {
        if (key == "script") {
            options.script = value;
        } else if (key == "downscript") {
            options.downscript = value;
        } else if (key == "fds") {
            size_t start = 0;
            while (start <= value.size()) {
                size_t end = value.find(':', start);
                if (end == std::string::npos)
                    end = value.size();
                options.fds.push_back(static_cast<int>(TRY(parse_u32(value.substr(start, end - start), "fds"))));
                start = end + 1;
            }
        } else if (key == "ifname") {
            options.ifname = value;
        } else if (key == "queues") {
            options.queues = TRY(parse_u32(value, "queues"));
        } else if (key == "fd") {
            options.fds.push_back(static_cast<int>(TRY(parse_u32(value, "fd"))));
        } else if (key == "vnet_hdr") {
            options.vnet_hdr = value == "on" || value == "true" || value == "yes";
        } else {
            return make_error("tap: unsupported option {}={}", key, value);
        }
    }
    if (options.queues == 0)
        return make_error("tap: queues must be at least 1");
    return options;
}

} // namespace vireo
