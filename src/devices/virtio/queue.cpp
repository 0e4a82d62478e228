#include "devices/virtio/queue.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "base/log.h"

namespace vireo {

namespace {

// A descriptor as laid out in guest memory (virtio 1.2 §2.7.5), little-endian.
struct Descriptor {
    uint64_t address;
    uint32_t length;
    uint16_t flags;
    uint16_t next;
};
static_assert(sizeof(Descriptor) == 16);

constexpr uint64_t k_desc_size = 16;

uint64_t desc_table_bytes(uint16_t size) { return k_desc_size * size; }
uint64_t avail_ring_bytes(uint16_t size) { return 6 + 2ULL * size; } // flags, idx, ring[size], used_event
uint64_t used_ring_bytes(uint16_t size) { return 6 + 8ULL * size; }  // flags, idx, ring[size], avail_event

uint16_t load_acquire(const uint8_t* at)
{
    return __atomic_load_n(reinterpret_cast<const uint16_t*>(at), __ATOMIC_ACQUIRE);
}
uint16_t load_relaxed(const uint8_t* at)
{
    return __atomic_load_n(reinterpret_cast<const uint16_t*>(at), __ATOMIC_RELAXED);
}
void store_release(uint8_t* at, uint16_t value)
{
    __atomic_store_n(reinterpret_cast<uint16_t*>(at), value, __ATOMIC_RELEASE);
}
void store_relaxed(uint8_t* at, uint16_t value)
{
    __atomic_store_n(reinterpret_cast<uint16_t*>(at), value, __ATOMIC_RELAXED);
}

// Copies between a list of buffers and a flat span, from byte `offset` of the list.
template<typename Copy>
size_t copy_buffers(std::span<const GuestBuffer> buffers, uint64_t offset, size_t length, Copy copy)
{
    size_t done = 0;
    for (const auto& buffer : buffers) {
        if (done == length)
            break;
        if (offset >= buffer.host.size()) {
            offset -= buffer.host.size();
            continue;
        }
        size_t chunk = std::min<uint64_t>(buffer.host.size() - offset, length - done);
        copy(buffer.host.data() + offset, done, chunk);
        done += chunk;
        offset = 0;
    }
    return done;
}

std::vector<iovec> make_iovecs(std::span<const GuestBuffer> buffers, uint64_t skip, uint64_t max_length)
{
    std::vector<iovec> iov;
    for (const auto& buffer : buffers) {
        if (max_length == 0)
            break;
        if (skip >= buffer.host.size()) {
            skip -= buffer.host.size();
            continue;
        }
        uint64_t chunk = std::min<uint64_t>(buffer.host.size() - skip, max_length);
        iov.push_back(iovec { buffer.host.data() + skip, chunk });
        max_length -= chunk;
        skip = 0;
    }
    return iov;
}

} // namespace

size_t DescriptorChain::read_from(uint64_t offset, std::span<uint8_t> out) const
{
    return copy_buffers(readable(), offset, out.size(),
        [&](uint8_t* guest, size_t at, size_t n) { std::memcpy(out.data() + at, guest, n); });
}

size_t DescriptorChain::write_to(uint64_t offset, std::span<const uint8_t> data) const
{
    return copy_buffers(writable(), offset, data.size(),
        [&](uint8_t* guest, size_t at, size_t n) { std::memcpy(guest, data.data() + at, n); });
}

std::vector<iovec> DescriptorChain::readable_iovecs(uint64_t skip, uint64_t max_length) const
{
    return make_iovecs(readable(), skip, max_length);
}

std::vector<iovec> DescriptorChain::writable_iovecs(uint64_t skip, uint64_t max_length) const
{
    return make_iovecs(writable(), skip, max_length);
}

VirtQueue::VirtQueue(uint16_t index, uint16_t max_size)
    : m_index(index)
    , m_max_size(max_size)
    , m_size(max_size)
{
}

void VirtQueue::reset()
{
    m_size = m_max_size;
    m_enabled = false;
    m_desc_address = m_avail_address = m_used_address = 0;
    m_memory = nullptr;
    m_ready = false;
    m_broken = false;
    m_event_idx = false;
    m_notifications_enabled = true;
    m_on_error = nullptr;
    m_desc = m_avail = m_used = nullptr;
    m_next_avail = m_next_used = 0;
    m_signalled_used = 0;
    m_in_use = 0;
}

Result<void> VirtQueue::activate(const GuestMemory& memory, bool event_idx, std::function<void()> on_error)
{
    // virtio 1.2 §2.7: the queue size is a power of two up to 32768; §2.7.1 alignment 16/2/4.
    if (m_size == 0 || (m_size & (m_size - 1)) != 0 || m_size > m_max_size)
        return make_error("virtqueue {}: bad size {} (max {})", m_index, m_size, m_max_size);
    if (m_desc_address % 16 || m_avail_address % 2 || m_used_address % 4)
        return make_error("virtqueue {}: misaligned rings", m_index);
    auto desc = memory.slice(m_desc_address, desc_table_bytes(m_size));
    auto avail = memory.slice(m_avail_address, avail_ring_bytes(m_size));
    auto used = memory.slice(m_used_address, used_ring_bytes(m_size));
    if (!desc || !avail || !used)
        return make_error("virtqueue {}: rings outside guest RAM", m_index);
    m_memory = &memory;
    m_desc = desc->data();
    m_avail = avail->data();
    m_used = used->data();
    m_event_idx = event_idx;
    m_on_error = std::move(on_error);
    m_notifications_enabled = true;
    m_broken = false;
    // The driver may have made buffers available before DRIVER_OK; the device starts from 0
    // (virtio 1.2 §2.7.13: indices start at 0 after reset).
    m_next_avail = 0;
    m_next_used = 0;
    m_signalled_used = 0;
    m_in_use = 0;
    m_ready = true;
    return {};
}

void VirtQueue::fail(const char* why)
{
    VIREO_GUEST_WARN("virtqueue {}: {}; device needs reset", m_index, why);
    if (m_broken)
        return;
    m_broken = true;
    if (m_on_error)
        m_on_error();
}

uint16_t VirtQueue::read_avail_idx() const { return load_acquire(m_avail + 2); }
uint16_t VirtQueue::read_used_event() const { return load_relaxed(m_avail + 4 + 2ULL * m_size); }
void VirtQueue::write_avail_event(uint16_t value) { store_relaxed(m_used + 4 + 8ULL * m_size, value); }
void VirtQueue::set_used_flags(uint16_t flags) { store_relaxed(m_used, flags); }

bool VirtQueue::has_available()
{
    if (!ready())
        return false;
    return read_avail_idx() != m_next_avail;
}

std::optional<DescriptorChain> VirtQueue::pop()
{
    if (!ready())
        return std::nullopt;
    uint16_t avail_idx = read_avail_idx();
    if (avail_idx == m_next_avail && m_event_idx && m_notifications_enabled) {
        // Ask for a notification when the next buffer comes, then look again: the driver may
        // have published one before it saw our avail_event (virtio 1.2 §2.7.10).
        write_avail_event(m_next_avail);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        avail_idx = read_avail_idx();
    }
    if (avail_idx == m_next_avail)
        return std::nullopt;
    // The driver cannot have more than size chains outstanding (virtio 1.2 §2.7.6).
    if (static_cast<uint16_t>(avail_idx - m_next_avail) > m_size) {
        fail("available index ran more than a queue size ahead");
        return std::nullopt;
    }
    // The queue size is the most buffers a virtqueue holds (virtio 1.2 §2.7): one chain more in
    // use is a head offered again while still in flight, which would let the device's work grow
    // without bound (QEMU's "Virtqueue size exceeded").
    if (m_in_use >= m_size) {
        fail("more chains in use than the queue size");
        return std::nullopt;
    }

    uint16_t head = load_relaxed(m_avail + 4 + 2ULL * (m_next_avail % m_size));
    if (head >= m_size) {
        fail("head index out of range");
        return std::nullopt;
    }

    DescriptorChain chain;
    chain.m_head = head;
    // Walk the main table, then at most one indirect table (virtio 1.2 §2.7.5.3). A chain has at
    // most `size` descriptors, counting those in an indirect table: this also ends any loop.
    const uint8_t* table = m_desc;
    uint32_t table_entries = m_size;
    bool in_indirect = false;
    uint16_t index = head;
    uint32_t count = 0;
    bool seen_writable = false;
    while (true) {
        if (++count > m_size) {
            fail("descriptor chain too long or looping");
            return std::nullopt;
        }
        Descriptor desc;
        std::memcpy(&desc, table + k_desc_size * index, sizeof(desc)); // one copy: the guest may change it
        if (desc.flags & k_virtq_desc_f_indirect) {
            if (in_indirect) {
                fail("indirect descriptor inside an indirect table");
                return std::nullopt;
            }
            if (desc.length == 0 || desc.length % k_desc_size != 0 || desc.length / k_desc_size > m_size) {
                fail("bad indirect table length");
                return std::nullopt;
            }
            auto indirect = m_memory->slice(desc.address, desc.length);
            if (!indirect) {
                fail("indirect table outside guest RAM");
                return std::nullopt;
            }
            // The indirect descriptor ends the main chain and is not a buffer itself; its
            // NEXT and WRITE flags are ignored (virtio 1.2 §2.7.5.3.2).
            --count;
            table = indirect->data();
            table_entries = desc.length / k_desc_size;
            in_indirect = true;
            index = 0;
            continue;
        }
        bool writable = desc.flags & k_virtq_desc_f_write;
        if (!writable && seen_writable) {
            fail("readable descriptor after a writable one");
            return std::nullopt;
        }
        seen_writable |= writable;
        if (desc.length > 0) {
            auto host = m_memory->slice(desc.address, desc.length);
            if (!host) {
                fail("buffer outside guest RAM");
                return std::nullopt;
            }
            chain.m_buffers.push_back(GuestBuffer { desc.address, *host });
            if (writable)
                chain.m_writable_length += desc.length;
            else {
                chain.m_readable_length += desc.length;
                chain.m_first_writable = chain.m_buffers.size();
            }
        }
        if (!(desc.flags & k_virtq_desc_f_next))
            break;
        if (desc.next >= table_entries) {
            fail("next index out of range");
            return std::nullopt;
        }
        index = desc.next;
    }

    ++m_next_avail;
    ++m_in_use;
    if (m_event_idx && m_notifications_enabled)
        write_avail_event(m_next_avail);
    return chain;
}

void VirtQueue::undo_pop()
{
    --m_next_avail;
    if (m_in_use > 0)
        --m_in_use;
    if (m_event_idx && m_notifications_enabled)
        write_avail_event(m_next_avail);
}

void VirtQueue::push(uint16_t head, uint32_t written_length)
{
    add_used(head, written_length);
    publish_used();
}

void VirtQueue::add_used(uint16_t head, uint32_t written_length)
{
    if (!m_ready || m_broken)
        return;
    uint8_t* element = m_used + 4 + 8ULL * (m_next_used % m_size);
    uint32_t id = head;
    std::memcpy(element, &id, 4);
    std::memcpy(element + 4, &written_length, 4);
    ++m_next_used;
    if (m_in_use > 0)
        --m_in_use;
}

void VirtQueue::publish_used()
{
    if (!m_ready || m_broken)
        return;
    // The elements must be visible before the index that publishes them (virtio 1.2 §2.7.8).
    store_release(m_used + 2, m_next_used);
}

bool VirtQueue::should_notify()
{
    if (!m_ready || m_broken)
        return false;
    // Order our used->idx store before reading the driver's suppression state (virtio 1.2 §2.7.10).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    uint16_t old_used = m_signalled_used;
    uint16_t new_used = m_next_used;
    m_signalled_used = new_used;
    if (new_used == old_used)
        return false;
    if (!m_event_idx)
        return !(load_relaxed(m_avail) & k_virtq_avail_f_no_interrupt);
    // vring_need_event: notify if used_event lies in [old_used, new_used), modulo 2^16.
    uint16_t used_event = read_used_event();
    return static_cast<uint16_t>(new_used - used_event - 1) < static_cast<uint16_t>(new_used - old_used);
}

void VirtQueue::disable_notification()
{
    if (!m_ready || m_broken)
        return;
    m_notifications_enabled = false;
    if (!m_event_idx)
        set_used_flags(k_virtq_used_f_no_notify);
    // With EVENT_IDX, avail_event is simply left behind: the driver stops notifying.
}

bool VirtQueue::enable_notification()
{
    if (!m_ready || m_broken)
        return false;
    m_notifications_enabled = true;
    if (m_event_idx)
        write_avail_event(m_next_avail);
    else
        set_used_flags(0);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return read_avail_idx() != m_next_avail;
}

} // namespace vireo
