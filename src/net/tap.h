#pragma once
// A Linux tap interface as a network back end (Documentation/networking/tuntap.rst):
// IFF_TAP | IFF_NO_PI, with IFF_VNET_HDR and a 12-byte virtio_net_hdr_v1 when available,
// IFF_MULTI_QUEUE when there is more than one queue. Fds are non-blocking.
#include <memory>
#include <string>
#include <vector>

#include "base/event_loop.h"
#include "base/unique_fd.h"
#include "net/net_backend.h"

namespace vireo {

struct NetdevConfig;

struct TapOptions {
    std::string ifname;      // may hold a %d template; empty: "tap%d"
    std::vector<int> fds;    // pre-opened tap fds to adopt (fd=, fds=); ownership passes to us
    uint32_t queues = 1;
    bool vnet_hdr = true;
    std::string script;      // only "" or "no": we never run scripts
    std::string downscript;
};

class TapBackend final : public NetBackend {
public:
    // Opens (or adopts) one tap fd per queue. The loop must outlive the back ends.
    [[nodiscard]] static Result<std::vector<std::unique_ptr<TapBackend>>> open(EventLoop& loop, const TapOptions& options);

    ~TapBackend() override;
    TapBackend(const TapBackend&) = delete;
    TapBackend& operator=(const TapBackend&) = delete;

    [[nodiscard]] const std::string& ifname() const { return m_ifname; }
    [[nodiscard]] int fd() const { return m_fd.get(); }

    [[nodiscard]] bool has_vnet_header() const override { return m_vnet_header; }
    [[nodiscard]] Result<void> set_offloads(const NetOffloads& offloads) override;
    [[nodiscard]] Result<void> send(std::span<const iovec> iov) override;
    [[nodiscard]] Result<size_t> receive_into(std::span<const iovec> iov) override;
    void set_receive_handler(std::function<void()> handler) override { m_handler = std::move(handler); }
    void set_receive_enabled(bool enabled) override;

private:
    TapBackend(EventLoop& loop, UniqueFd fd, std::string ifname, bool vnet_header)
        : m_loop(loop)
        , m_fd(std::move(fd))
        , m_ifname(std::move(ifname))
        , m_vnet_header(vnet_header)
    {
    }

    EventLoop& m_loop;
    UniqueFd m_fd;
    std::string m_ifname;
    bool m_vnet_header;
    bool m_watching = false;
    std::function<void()> m_handler;
};

// TapOptions from a -netdev tap,... configuration (ifname=, fd=, fds=a:b, queues=, vnet_hdr=,
// script=, downscript=).
[[nodiscard]] Result<TapOptions> tap_options_from_config(const NetdevConfig& config);

} // namespace vireo
