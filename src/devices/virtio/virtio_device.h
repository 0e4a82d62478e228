#pragma once
// The interface a virtio device (blk, net, rng, console...) implements, and the interrupt
// interface its transport gives it. The transport (virtio-pci) owns the queues, feature
// negotiation and the device status; a device sees only its queues and its config space.
//
// Threads: config reads/writes, activate() and reset() come from vCPU threads; queue_notify()
// comes from the event-loop thread. The transport never calls two of these at once for the same
// device (it holds a per-device mutex around them). Events a device watches itself (back-end
// fds on the event loop) are not serialized by the transport: guard shared state in the device.
#include <cstdint>
#include <span>

#include "base/result.h"
#include "devices/virtio/queue.h"
#include "memory/guest_memory.h"

namespace vireo {

namespace virtio {

// Device type ids (virtio 1.2 §5). The PCI device id is 0x1040 + type (§4.1.2).
enum class DeviceType : uint16_t {
    Net = 1,
    Block = 2,
    Console = 3,
    Entropy = 4,
    Input = 18,
};

// Reserved feature bits (virtio 1.2 §6). The transport offers these itself; devices return only
// their device-specific bits (0..23) from device_features().
constexpr uint64_t k_f_ring_indirect_desc = 1ULL << 28;
constexpr uint64_t k_f_ring_event_idx = 1ULL << 29;
constexpr uint64_t k_f_version_1 = 1ULL << 32;
constexpr uint64_t k_f_access_platform = 1ULL << 33;

// Device status bits (virtio 1.2 §2.1).
constexpr uint8_t k_status_acknowledge = 1;
constexpr uint8_t k_status_driver = 2;
constexpr uint8_t k_status_driver_ok = 4;
constexpr uint8_t k_status_features_ok = 8;
constexpr uint8_t k_status_needs_reset = 0x40;
constexpr uint8_t k_status_failed = 0x80;

constexpr uint16_t k_default_queue_size = 256;

} // namespace virtio

// What the transport gives a device for raising interrupts (and for asking for another run of a
// queue handler). Valid from activate() until reset().
// Every method may be called from any thread.
class VirtioInterrupt {
public:
    virtual ~VirtioInterrupt() = default;
    // Used-buffer notification for queue `queue_index` (call it when VirtQueue::should_notify()).
    virtual void signal_used(uint16_t queue_index) = 0;
    // Configuration-change notification (virtio 1.2 §2.4.2); also bumps config_generation.
    virtual void signal_config_change() = 0;
    // The device hit an error it cannot recover from (a malformed chain): sets DEVICE_NEEDS_RESET
    // and sends the configuration-change interrupt (virtio 1.2 §2.1.2). VirtQueue calls it by
    // itself when it detects a malformed ring, so devices rarely need to.
    virtual void set_needs_reset() = 0;
    // Runs the device's queue_notify(queue_index) again on a later turn of the event loop, as a
    // driver notification would (the transport signals the queue's notify eventfd): a handler
    // that spent its run's budget (QueueRun) continues there instead of holding the loop.
    virtual void renotify(uint16_t queue_index) = 0;
};

// Everything a device needs to run once the driver set DRIVER_OK.
struct VirtioActivation {
    const GuestMemory& memory;
    uint64_t features;          // negotiated: device-specific and reserved bits the driver accepted
    std::span<VirtQueue> queues; // index = queue number; a queue the driver did not enable has ready() == false
    VirtioInterrupt& interrupt;
};

class VirtioDevice {
public:
    virtual ~VirtioDevice() = default;

    [[nodiscard]] virtual virtio::DeviceType device_type() const = 0;
    // Device-specific feature bits (0..23 and any device bit above 40). The transport adds
    // VERSION_1, RING_INDIRECT_DESC and RING_EVENT_IDX.
    [[nodiscard]] virtual uint64_t device_features() const = 0;
    // Number of virtqueues and the largest size the device accepts for each (a power of two).
    [[nodiscard]] virtual uint16_t num_queues() const = 0;
    [[nodiscard]] virtual uint16_t queue_max_size(uint16_t /*queue_index*/) const { return virtio::k_default_queue_size; }

    // Device-specific configuration space (virtio 1.2 §4.1.4.6); the transport has already bounded
    // [offset, offset + data.size()) to config_size(). Little-endian fields.
    [[nodiscard]] virtual uint32_t config_size() const = 0;
    virtual void read_config(uint32_t offset, std::span<uint8_t> data) = 0;
    virtual void write_config(uint32_t /*offset*/, std::span<const uint8_t> /*data*/) { }

    // Called once after DRIVER_OK, when every enabled queue's rings were validated. The queues
    // and the interrupt stay valid until reset(). An error sets DEVICE_NEEDS_RESET.
    [[nodiscard]] virtual Result<void> activate(VirtioActivation activation) = 0;
    // The driver wrote 0 to device_status (or the VM resets): stop using queues and guest memory,
    // drop in-flight work (or wait for it), return to the initial state.
    virtual void reset() = 0;
    // The driver notified queue `queue_index` (event-loop thread; only after activate()).
    virtual void queue_notify(uint16_t queue_index) = 0;
};

} // namespace vireo
