#pragma once
// Split virtqueue, device side (virtio 1.2 §2.7). The transport configures it (size, ring
// addresses, enable) from the driver's writes and activates it on DRIVER_OK, which validates
// the three rings once (alignment, inside guest RAM) and caches their host views: guest RAM
// never moves. Devices then pop descriptor chains, whose every buffer was checked against guest
// RAM, and push them back as used.
//
// Any violation by the driver (index out of range, loop, chain too long, buffer outside RAM,
// nested indirect table, writable before readable, more chains in use than the queue size)
// breaks the queue: pop() returns nothing from
// then on, and the error handler (the transport: DEVICE_NEEDS_RESET) is called once. The VMM
// carries on.
//
// Threads: the device side (pop, push, notification calls) is used by one thread at a time,
// normally the event-loop thread. Configuration and activation happen before that, under the
// transport's lock.
#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "memory/guest_memory.h"

namespace vireo {

// Descriptor flags (virtio 1.2 §2.7.5).
constexpr uint16_t k_virtq_desc_f_next = 1;
constexpr uint16_t k_virtq_desc_f_write = 2;
constexpr uint16_t k_virtq_desc_f_indirect = 4;
// Ring flags (virtio 1.2 §2.7.6, §2.7.8).
constexpr uint16_t k_virtq_avail_f_no_interrupt = 1;
constexpr uint16_t k_virtq_used_f_no_notify = 1;

// One buffer of a chain: its guest address and a host view of it, checked to lie inside guest RAM.
struct GuestBuffer {
    GuestAddress address = 0;
    std::span<uint8_t> host;
};

// A popped chain: its head index (what push() takes back) and its buffers, readable (driver to
// device) first, then writable (device to driver). Zero-length descriptors are left out.
class DescriptorChain {
public:
    [[nodiscard]] uint16_t head() const { return m_head; }
    [[nodiscard]] std::span<const GuestBuffer> readable() const { return std::span(m_buffers).first(m_first_writable); }
    [[nodiscard]] std::span<const GuestBuffer> writable() const { return std::span(m_buffers).subspan(m_first_writable); }
    [[nodiscard]] uint64_t readable_length() const { return m_readable_length; }
    [[nodiscard]] uint64_t writable_length() const { return m_writable_length; }

    // Copies readable bytes starting at byte `offset` of the readable part into out; returns the
    // number copied (less than out.size() when the chain is shorter).
    size_t read_from(uint64_t offset, std::span<uint8_t> out) const;
    // Copies data into the writable part starting at byte `offset`; returns the number copied.
    size_t write_to(uint64_t offset, std::span<const uint8_t> data) const;

    // Host iovecs over the readable / writable part, skipping the first `skip` bytes and
    // covering at most `max_length` bytes (for disk and network I/O).
    [[nodiscard]] std::vector<iovec> readable_iovecs(uint64_t skip = 0, uint64_t max_length = UINT64_MAX) const;
    [[nodiscard]] std::vector<iovec> writable_iovecs(uint64_t skip = 0, uint64_t max_length = UINT64_MAX) const;

private:
    friend class VirtQueue;
    uint16_t m_head = 0;
    std::vector<GuestBuffer> m_buffers;
    size_t m_first_writable = 0;
    uint64_t m_readable_length = 0;
    uint64_t m_writable_length = 0;
};

class VirtQueue {
public:
    // max_size: the largest size the device accepts (a power of two, at most 32768).
    VirtQueue(uint16_t index, uint16_t max_size);

    // --- Transport side: the driver's configuration (virtio 1.2 §4.1.4.3) ---
    [[nodiscard]] uint16_t index() const { return m_index; }
    [[nodiscard]] uint16_t max_size() const { return m_max_size; }
    [[nodiscard]] uint16_t size() const { return m_size; }
    void set_size(uint16_t size) { m_size = size; }
    [[nodiscard]] bool enabled() const { return m_enabled; }
    void set_enabled(bool enabled) { m_enabled = enabled; }
    [[nodiscard]] GuestAddress desc_table() const { return m_desc_address; }
    [[nodiscard]] GuestAddress avail_ring() const { return m_avail_address; }
    [[nodiscard]] GuestAddress used_ring() const { return m_used_address; }
    void set_desc_table(GuestAddress address) { m_desc_address = address; }
    void set_avail_ring(GuestAddress address) { m_avail_address = address; }
    void set_used_ring(GuestAddress address) { m_used_address = address; }

    // Validates the rings of an enabled queue (size a power of two <= max_size; rings aligned and
    // inside guest RAM) and caches their host views. event_idx: VIRTIO_F_RING_EVENT_IDX was
    // negotiated. on_error runs once when the driver breaks the queue.
    [[nodiscard]] Result<void> activate(const GuestMemory& memory, bool event_idx, std::function<void()> on_error);
    // Back to the reset state (virtio 1.2 §4.1.4.3: size = max_size, addresses 0, disabled).
    void reset();

    // --- Device side ---
    // True once activate() succeeded and until reset() or an error.
    [[nodiscard]] bool ready() const { return m_ready && !m_broken; }
    [[nodiscard]] bool broken() const { return m_broken; }

    // The next available chain, or nothing when the ring is empty or the queue is broken.
    [[nodiscard]] std::optional<DescriptorChain> pop();
    // Gives back the last popped chain unused (e.g. a received packet did not fit).
    void undo_pop();
    // True if the driver has made chains available that were not popped yet.
    [[nodiscard]] bool has_available();

    // Returns a chain to the driver with the number of bytes written into its writable part.
    // Publishes used->idx with release ordering (virtio 1.2 §2.7.8).
    void push(uint16_t head, uint32_t written_length);
    void push(const DescriptorChain& chain, uint32_t written_length) { push(chain.head(), written_length); }
    // push() in two steps, for used entries that the driver must see together (a received
    // frame spread over several MRG_RXBUF buffers, virtio 1.2 §5.1.6.4): add_used() writes the
    // elements, publish_used() makes all of them visible at once by storing used->idx.
    void add_used(const DescriptorChain& chain, uint32_t written_length) { add_used(chain.head(), written_length); }
    void add_used(uint16_t head, uint32_t written_length);
    void publish_used();

    // Whether the driver wants a used-buffer notification for what was pushed since the last
    // call (virtio 1.2 §2.7.10: used_event with EVENT_IDX, else VIRTQ_AVAIL_F_NO_INTERRUPT).
    // Call it after a batch of push()es; if true, raise the queue's interrupt.
    [[nodiscard]] bool should_notify();

    // Available-buffer notification suppression (virtio 1.2 §2.7.7, §2.7.10): while disabled the
    // driver need not notify. enable_notification() returns true if chains arrived meanwhile
    // (the caller must then process them, or it could sleep forever).
    void disable_notification();
    [[nodiscard]] bool enable_notification();

    // Test and fuzz support: the avail index the device will read next.
    [[nodiscard]] uint16_t next_avail() const { return m_next_avail; }
    [[nodiscard]] uint16_t next_used() const { return m_next_used; }
    // Chains popped and not yet added to the used ring nor given back.
    [[nodiscard]] uint32_t in_use() const { return m_in_use; }

private:
    void fail(const char* why);
    uint16_t read_avail_idx() const;
    uint16_t read_used_event() const;
    void write_avail_event(uint16_t value);
    void set_used_flags(uint16_t flags);

    uint16_t m_index;
    uint16_t m_max_size;
    uint16_t m_size;
    bool m_enabled = false;
    GuestAddress m_desc_address = 0;
    GuestAddress m_avail_address = 0;
    GuestAddress m_used_address = 0;

    // Set by activate().
    const GuestMemory* m_memory = nullptr;
    bool m_ready = false;
    bool m_broken = false;
    bool m_event_idx = false;
    bool m_notifications_enabled = true;
    std::function<void()> m_on_error;
    uint8_t* m_desc = nullptr;  // 16 * size bytes
    uint8_t* m_avail = nullptr; // 6 + 2 * size bytes
    uint8_t* m_used = nullptr;  // 6 + 8 * size bytes

    uint16_t m_next_avail = 0;
    uint16_t m_next_used = 0;
    uint16_t m_signalled_used = 0; // used idx when should_notify() last ran
    uint32_t m_in_use = 0;         // popped, not yet used or given back: at most m_size
};

} // namespace vireo
