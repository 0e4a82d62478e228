#pragma once
// virtio-net (virtio 1.2 §5.1, device type 1) on NetBackends, one per queue pair.
// Queues: receiveq(k) = 2k, transmitq(k) = 2k+1, and the control queue 2N when N > 1 pairs
// (VIRTIO_NET_F_CTRL_VQ + MQ). With a vnet-header back end (tap) the device offers checksum
// and TSO offloads and passes virtio_net_hdr through unchanged; otherwise it strips / adds a
// plain header. Receive back-pressure: when the guest has no receive buffers the frame read
// last is kept and the back end stops being read until the guest adds buffers (rx notify).
// Each run of a queue handles at most a queue size of chains (QueueRun) and then yields the
// event loop; the transport runs it again on the loop's next turn.
//
// Threads: activate()/reset()/config come from vCPU threads, queue_notify() and back-end
// handlers from the event loop; m_lock serializes them. Event-loop registrations change only
// on the loop thread: activate() and reset() signal m_wake, whose handler does that work.
#include <array>
#include <string_view>
#include <memory>
#include <mutex>
#include <vector>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "devices/virtio/net/virtio_net_spec.h"
#include "devices/virtio/queue_run.h"
#include "devices/virtio/virtio_device.h"
#include "devices/virtio/used_notifications.h"
#include "net/net_backend.h"

namespace vireo {

struct DeviceConfig;

using MacAddress = std::array<uint8_t, 6>;

struct VirtioNetOptions {
    MacAddress mac { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    uint16_t queue_size = 256;
};

class VirtioNet final : public VirtioDevice {
public:
    // One back end per queue pair (at least one).
    [[nodiscard]] static Result<std::unique_ptr<VirtioNet>> create(std::vector<std::unique_ptr<NetBackend>> backends, VirtioNetOptions options);
    ~VirtioNet() override;

    // Registers the device's wake-up eventfd with the loop and installs the back ends' receive
    // handlers. Call before the loop runs (or on its thread). The loop must outlive the device.
    [[nodiscard]] Result<void> attach(EventLoop& loop);
    // The wake-up handler: applies activation/reset to the back ends (receive on/off) and
    // receives what waits. Tests without a loop call it after activate()/reset().
    void process_events();
    // A back end of pair `pair` may have frames (its receive handler).
    void backend_readable(uint16_t pair);

    [[nodiscard]] uint16_t queue_pairs() const { return static_cast<uint16_t>(m_pairs.size()); }
    [[nodiscard]] uint16_t active_queue_pairs() const;
    [[nodiscard]] const virtio_net::Config& config() const { return m_config; }

    [[nodiscard]] virtio::DeviceType device_type() const override { return virtio::DeviceType::Net; }
    [[nodiscard]] uint64_t device_features() const override { return m_features; }
    [[nodiscard]] uint16_t num_queues() const override;
    [[nodiscard]] uint16_t queue_max_size(uint16_t) const override { return m_options.queue_size; }
    [[nodiscard]] uint32_t config_size() const override { return sizeof(virtio_net::Config); }
    void read_config(uint32_t offset, std::span<uint8_t> data) override;
    [[nodiscard]] Result<void> activate(VirtioActivation activation) override;
    void reset() override;
    void queue_notify(uint16_t queue_index) override;

private:
    VirtioNet(std::vector<std::unique_ptr<NetBackend>> backends, VirtioNetOptions options, EventFd wake);

    struct Pair {
        std::unique_ptr<NetBackend> backend;
        std::vector<uint8_t> frame;   // a frame read from the back end and not yet delivered (copy path)
        size_t frame_length = 0;      // 0: none pending
        bool receiving = false;       // back end's receive enabled
        std::vector<DescriptorChain> reserved; // receive chains popped but not filled yet
        uint64_t reserved_bytes = 0;
    };

    void process_tx(uint16_t pair);
    void process_rx(uint16_t pair);
    void process_ctrl();

    enum class Reserve { Enough, Starved, RingTooSmall };
    // Pops receive chains of `pair` until they hold `needed` bytes (one chain without MRG_RXBUF).
    [[nodiscard]] Reserve reserve_buffers(uint16_t pair, uint64_t needed, QueueRun& run);
    // How many reserved chains, in order, `length` bytes fill.
    [[nodiscard]] uint16_t buffers_for(uint16_t pair, uint64_t length) const;
    // Hands the first `buffers` reserved chains, filled with `length` bytes, to the guest at once.
    void publish_frame(uint16_t pair, uint64_t length, uint16_t buffers);

    // Receiving straight into the guest's buffers (one copy, by the back end's kernel).
    enum class Direct { Delivered, Empty, Starved, Unsuitable };
    [[nodiscard]] bool receives_direct() const;
    [[nodiscard]] Direct receive_direct(uint16_t pair, QueueRun& run);
    // Puts the pending frame of `pair` (read into Pair::frame) into the guest's receive buffers;
    // false when there are not enough buffers (the frame stays pending).
    bool deliver(uint16_t pair, QueueRun& run);
    void set_receiving(uint16_t pair, bool receiving);
    void update_receiving();
    void flush_notifications();
    [[nodiscard]] VirtQueue* queue(uint16_t index);

    mutable std::recursive_mutex m_lock;
    std::vector<Pair> m_pairs;
    VirtioNetOptions m_options;
    uint64_t m_features = 0;
    virtio_net::Config m_config {};
    bool m_vnet_backend = false;
    EventFd m_wake;
    EventLoop* m_loop = nullptr;

    // Valid between activate() and reset().
    bool m_active = false;
    uint64_t m_negotiated = 0;
    uint32_t m_header_size = virtio_net::k_header_size;
    uint16_t m_active_pairs = 1;
    std::span<VirtQueue> m_queues;
    VirtioInterrupt* m_interrupt = nullptr;
    UsedNotifications m_pushed; // queues with used entries since the last flush
};

// "52:54:00:12:34:56" -> bytes.
[[nodiscard]] Result<MacAddress> parse_mac(std::string_view text);
// Options from -device virtio-net-pci properties (mac=, queue-size=); index gives the default
// MAC 52:54:00:12:34:56 + index. device may be null (-nic/-net nic).
[[nodiscard]] Result<VirtioNetOptions> virtio_net_options(const DeviceConfig* device, uint32_t index);

} // namespace vireo
