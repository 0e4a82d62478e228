#pragma once
// The interface between a network device (virtio-net) and a host back end (tap, libslirp).
// One NetBackend is one queue: a multiqueue tap gives one NetBackend per queue pair.
// Everything here runs on the event-loop thread.
#include <sys/uio.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>

#include "base/result.h"

namespace vireo {

// virtio_net_hdr_v1 (virtio 1.2 §5.1.6). Linux tap with TUNSETVNETHDRSZ 12 uses the same
// layout, so a device can pass it through unchanged.
struct VirtioNetHeader {
    uint8_t flags = 0;
    uint8_t gso_type = 0;
    uint16_t hdr_len = 0;
    uint16_t gso_size = 0;
    uint16_t csum_start = 0;
    uint16_t csum_offset = 0;
    uint16_t num_buffers = 0;
};
static_assert(sizeof(VirtioNetHeader) == 12);

// What the guest can take from the back end (its negotiated GUEST_* features).
struct NetOffloads {
    bool csum = false; // VIRTIO_NET_F_GUEST_CSUM: partial checksums
    bool tso4 = false; // VIRTIO_NET_F_GUEST_TSO4
    bool tso6 = false; // VIRTIO_NET_F_GUEST_TSO6
    bool ecn = false;  // VIRTIO_NET_F_GUEST_ECN
};

class NetBackend {
public:
    virtual ~NetBackend() = default;

    // True if every frame sent and received starts with a 12-byte VirtioNetHeader.
    [[nodiscard]] virtual bool has_vnet_header() const = 0;

    // Tells the back end which offloads the guest accepts; no-op without a vnet header.
    [[nodiscard]] virtual Result<void> set_offloads(const NetOffloads& offloads) = 0;

    // Sends one frame gathered from iov (with the header iff has_vnet_header()).
    // A back end that cannot take it now drops it (the guest's TCP retransmits).
    [[nodiscard]] virtual Result<void> send(std::span<const iovec> iov) = 0;

    // Reads one frame, scattered over iov in order; returns its length, 0 when none is pending.
    // A frame longer than iov is truncated (callers offer room for the largest frame). Lets
    // virtio-net read a frame straight into the guest's receive buffers.
    [[nodiscard]] virtual Result<size_t> receive_into(std::span<const iovec> iov) = 0;

    // The same into one buffer.
    [[nodiscard]] Result<size_t> receive(std::span<uint8_t> buffer)
    {
        iovec one { buffer.data(), buffer.size() };
        return receive_into(std::span(&one, 1));
    }

    // handler runs on the event-loop thread when receive() may return a frame.
    virtual void set_receive_handler(std::function<void()> handler) = 0;

    // Receive back-pressure: while disabled the back end stops watching for frames (its
    // fd leaves the event loop); enabling again calls the handler if frames may be pending.
    virtual void set_receive_enabled(bool enabled) = 0;
};

// Copies frame into iov in order, as far as iov reaches; returns the bytes copied. For back ends
// that hold frames in their own buffers (libslirp) and fakes of them.
inline size_t copy_frame_to_iovecs(std::span<const uint8_t> frame, std::span<const iovec> iov)
{
    size_t copied = 0;
    for (const iovec& part : iov) {
        size_t n = std::min(part.iov_len, frame.size() - copied);
        std::memcpy(part.iov_base, frame.data() + copied, n);
        copied += n;
    }
    return copied;
}

// The largest frame a back end hands over: a 64 KiB GSO frame plus Ethernet and vnet headers.
inline constexpr size_t k_max_net_frame = 65536 + 14 + 4 + sizeof(VirtioNetHeader);

} // namespace vireo
