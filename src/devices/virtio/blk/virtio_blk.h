#pragma once
// virtio-blk (virtio 1.2 §5.2, device type 2) on a DiskImage. Requests are popped on the
// event-loop thread, validated (blk_request.h) and submitted to the image, one submission
// batch per drained ring; the image's completions (also on the loop thread) write the status
// byte, push the chain as used and raise the queue's interrupt when the driver wants one.
// While reads or writes of a queue are in flight its notifications stay off and each batch
// of completions looks at its ring instead (fewer guest exits). Bounds against a hostile
// driver: a run pops at most one ring's worth of chains (QueueRun), and at most queues x queue
// size requests stay in the image, those submitted before a reset included.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/event_loop.h"
#include "base/timer_fd.h"
#include "block/disk_image.h"
#include "devices/virtio/blk/blk_request.h"
#include "devices/virtio/blk/virtio_blk_spec.h"
#include "devices/virtio/virtio_device.h"
#include "devices/virtio/used_notifications.h"

namespace vireo {

struct DeviceConfig;
struct DriveConfig;

struct VirtioBlkOptions {
    std::string serial;              // GET_ID answer (first 20 bytes)
    uint16_t num_queues = 1;         // > 1 offers VIRTIO_BLK_F_MQ
    uint16_t queue_size = 256;       // largest queue size; seg_max = queue_size - 2
    uint32_t logical_block_size = 512; // blk_size (4096 for images opened with O_DIRECT on 4K disks)
    bool read_only = false;          // on top of the image's own read_only()
    bool discard = false;            // discard=unmap: offer DISCARD when the image supports it
};

class VirtioBlk final : public VirtioDevice {
public:
    VirtioBlk(std::unique_ptr<DiskImage> disk, VirtioBlkOptions options);
    ~VirtioBlk() override;

    // Watches the image's completion fd on the loop (call before the loop runs or on its thread).
    [[nodiscard]] Result<void> attach(EventLoop& loop);
    // Runs finished disk requests and raises interrupts (the completion-fd handler; tests call it).
    void process_completions();
    // Looks at the rings whose notifications are off (the backstop timer's handler; tests call it).
    void poll_timeout();

    [[nodiscard]] DiskImage& disk() { return *m_disk; }
    [[nodiscard]] const virtio_blk::Config& config() const { return m_config; }
    [[nodiscard]] size_t in_flight() const;
    // Requests submitted before the last reset and not completed yet.
    [[nodiscard]] size_t stale_in_flight() const;
    // Disk requests the device keeps in the image at most, stale ones included: queues x size.
    [[nodiscard]] size_t max_in_flight() const { return size_t { m_options.num_queues } * m_options.queue_size; }

    [[nodiscard]] virtio::DeviceType device_type() const override { return virtio::DeviceType::Block; }
    [[nodiscard]] uint64_t device_features() const override { return m_features; }
    [[nodiscard]] uint16_t num_queues() const override { return m_options.num_queues; }
    [[nodiscard]] uint16_t queue_max_size(uint16_t) const override { return m_options.queue_size; }
    [[nodiscard]] uint32_t config_size() const override { return sizeof(virtio_blk::Config); }
    void read_config(uint32_t offset, std::span<uint8_t> data) override;
    [[nodiscard]] Result<void> activate(VirtioActivation activation) override;
    void reset() override;
    void queue_notify(uint16_t queue_index) override;

private:
    // Driver notifications stay off while at least this many reads/writes of a queue are in flight;
    // completions look at the ring instead, and a backstop timer if none comes for this long.
    static constexpr size_t k_poll_min_in_flight = 1;
    static constexpr std::chrono::milliseconds k_poll_backstop { 10 };

    struct InFlight {
        uint64_t generation = 0;
        uint16_t queue = 0;
        DescriptorChain chain;
        uint64_t status_offset = 0;
        uint32_t data_in_length = 0;
        size_t remaining = 0;
        uint8_t status = virtio_blk::k_s_ok;
        bool read_write = false; // counts in m_queue_rw_in_flight
    };

    void drain_queue(uint16_t queue_index);
    void handle_chain(uint16_t queue_index, DescriptorChain chain);
    void on_disk_done(const std::shared_ptr<InFlight>& request, int result);
    void complete(uint16_t queue_index, const DescriptorChain& chain, uint64_t status_offset, uint32_t data_length, uint8_t status);
    void flush_notifications();
    void poll_rings();
    [[nodiscard]] bool at_capacity() const { return m_in_flight + m_stale_in_flight >= max_in_flight(); }

    mutable std::recursive_mutex m_lock; // completions may run inside submit() on some images
    std::unique_ptr<DiskImage> m_disk;
    VirtioBlkOptions m_options;
    uint64_t m_features = 0;
    virtio_blk::Config m_config {};
    EventLoop* m_loop = nullptr;

    // Valid between activate() and reset().
    bool m_active = false;
    uint64_t m_generation = 0; // bumped by reset(): completions of older requests are dropped
    std::span<VirtQueue> m_queues;
    VirtioInterrupt* m_interrupt = nullptr;
    BlkLimits m_limits;
    UsedNotifications m_pushed; // queues with used entries since the last flush
    size_t m_in_flight = 0;
    // Requests of an older generation still in the image: they hold its resources (and views of
    // guest RAM) until they finish, so they count against max_in_flight() as well; otherwise
    // reset, activate and submit in a loop would pile up requests without bound.
    size_t m_stale_in_flight = 0;
    // Per queue: reads and writes submitted and not completed. Flushes, discards and
    // write-zeroes may take long, so they do not keep notifications off.
    std::vector<size_t> m_queue_rw_in_flight;
    std::vector<bool> m_polled;            // per queue: notifications left off, completions re-check
    std::optional<TimerFd> m_poll_timer;   // the backstop, made by attach()
    bool m_poll_armed = false;
};

// The default number of request queues for a VM with `vcpus` vCPUs: one per vCPU, at most 4.
[[nodiscard]] uint16_t default_blk_num_queues(uint32_t vcpus);

// Options from -drive (serial=, discard=, read-only) and the -device virtio-blk-pci properties
// (num-queues=, queue-size=, serial=, logical_block_size=); device may be null (if=virtio).
[[nodiscard]] Result<VirtioBlkOptions> virtio_blk_options(const DriveConfig& drive, const DeviceConfig* device, uint32_t vcpus);

} // namespace vireo
