#pragma once
// Driver-side mock of a split virtqueue for device tests: writes descriptor tables and the
// available ring into a fake GuestMemory the way a guest driver would, and reads the used ring
// back. No guest needed. Layout from `base`: descriptor table (16 * size), available ring,
// used ring (4-aligned), then a bump allocator for data buffers and indirect tables.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <initializer_list>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "bus/interrupt.h"
#include "devices/virtio/queue.h"
#include "devices/virtio/virtio_device.h"
#include "memory/guest_memory.h"

namespace vireo::test {

// A small guest memory: one region of `size` bytes at guest address 0.
inline GuestMemory make_guest_memory(uint64_t size = 0x10'0000)
{
    std::array<GuestRegionSpec, 1> specs { GuestRegionSpec { 0, size } };
    return GuestMemory::create(specs).value();
}

class MockDriverQueue {
public:
    struct Buffer {
        GuestAddress address;
        uint32_t length;
        bool writable;
    };
    struct UsedElem {
        uint32_t id;
        uint32_t length;
    };

    MockDriverQueue(const GuestMemory& memory, uint16_t size, GuestAddress base = 0x1000)
        : m_memory(memory)
        , m_size(size)
        , m_desc(base)
        , m_avail(base + 16ULL * size)
        , m_used(align(m_avail + 6 + 2ULL * size, 4))
        , m_next_free(align(m_used + 6 + 8ULL * size, 16))
    {
        zero(m_desc, m_next_free - m_desc);
    }

    [[nodiscard]] GuestAddress desc_table() const { return m_desc; }
    [[nodiscard]] GuestAddress avail_ring() const { return m_avail; }
    [[nodiscard]] GuestAddress used_ring() const { return m_used; }
    [[nodiscard]] uint16_t size() const { return m_size; }

    // Programs a device-side queue with this ring's size and addresses and enables it.
    void configure(VirtQueue& queue) const
    {
        queue.set_size(m_size);
        queue.set_desc_table(m_desc);
        queue.set_avail_ring(m_avail);
        queue.set_used_ring(m_used);
        queue.set_enabled(true);
    }

    // A data area in guest RAM (16-aligned), zeroed.
    GuestAddress alloc(uint64_t length)
    {
        GuestAddress address = m_next_free;
        m_next_free = align(m_next_free + length, 16);
        zero(address, length);
        return address;
    }
    // A data area holding `bytes`.
    GuestAddress alloc_with(std::span<const uint8_t> bytes)
    {
        GuestAddress address = alloc(bytes.size());
        EXPECT_TRUE(m_memory.write(address, bytes));
        return address;
    }
    GuestAddress alloc_with(const std::string& text)
    {
        return alloc_with(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    }

    // Writes raw descriptor `index` of the table at `table` (the queue's own table by default).
    void write_descriptor(uint16_t index, GuestAddress address, uint32_t length, uint16_t flags, uint16_t next,
        GuestAddress table = 0)
    {
        GuestAddress at = (table ? table : m_desc) + 16ULL * index;
        EXPECT_TRUE(m_memory.write_obj<uint64_t>(at, address));
        EXPECT_TRUE(m_memory.write_obj<uint32_t>(at + 8, length));
        EXPECT_TRUE(m_memory.write_obj<uint16_t>(at + 12, flags));
        EXPECT_TRUE(m_memory.write_obj<uint16_t>(at + 14, next));
    }

    // Writes a chain into consecutive free descriptors and makes it available; returns its head.
    uint16_t add_chain(std::initializer_list<Buffer> buffers)
    {
        return add_chain(std::span(buffers.begin(), buffers.size()));
    }
    uint16_t add_chain(std::span<const Buffer> buffers)
    {
        uint16_t head = m_next_desc;
        for (size_t i = 0; i < buffers.size(); ++i) {
            uint16_t index = m_next_desc;
            m_next_desc = static_cast<uint16_t>((m_next_desc + 1) % m_size);
            bool last = i + 1 == buffers.size();
            uint16_t flags = static_cast<uint16_t>((buffers[i].writable ? k_virtq_desc_f_write : 0)
                | (last ? 0 : k_virtq_desc_f_next));
            write_descriptor(index, buffers[i].address, buffers[i].length, flags, last ? 0 : m_next_desc);
        }
        publish(head);
        return head;
    }

    // Writes the buffers into a fresh indirect table and makes a one-descriptor chain pointing
    // at it available; returns its head.
    uint16_t add_indirect_chain(std::initializer_list<Buffer> buffers)
    {
        GuestAddress table = alloc(16ULL * buffers.size());
        size_t i = 0;
        for (const auto& buffer : buffers) {
            bool last = i + 1 == buffers.size();
            uint16_t flags = static_cast<uint16_t>((buffer.writable ? k_virtq_desc_f_write : 0)
                | (last ? 0 : k_virtq_desc_f_next));
            write_descriptor(static_cast<uint16_t>(i), buffer.address, buffer.length, flags,
                last ? 0 : static_cast<uint16_t>(i + 1), table);
            ++i;
        }
        uint16_t head = m_next_desc;
        m_next_desc = static_cast<uint16_t>((m_next_desc + 1) % m_size);
        write_descriptor(head, table, static_cast<uint32_t>(16 * buffers.size()), k_virtq_desc_f_indirect, 0);
        publish(head);
        return head;
    }

    // Puts `head` in the next available-ring slot and publishes it by bumping avail->idx.
    void publish(uint16_t head)
    {
        EXPECT_TRUE(m_memory.write_obj<uint16_t>(m_avail + 4 + 2ULL * (m_avail_idx % m_size), head));
        std::atomic_thread_fence(std::memory_order_release); // for a device on another thread
        ++m_avail_idx;
        EXPECT_TRUE(m_memory.write_obj<uint16_t>(m_avail + 2, m_avail_idx));
    }

    void set_avail_flags(uint16_t flags) { EXPECT_TRUE(m_memory.write_obj<uint16_t>(m_avail, flags)); }
    // used_event lives after the available ring (virtio 1.2 §2.7.6).
    void set_used_event(uint16_t value) { EXPECT_TRUE(m_memory.write_obj<uint16_t>(m_avail + 4 + 2ULL * m_size, value)); }

    [[nodiscard]] uint16_t used_flags() const { return m_memory.read_obj<uint16_t>(m_used).value(); }
    [[nodiscard]] uint16_t used_idx() const { return m_memory.read_obj<uint16_t>(m_used + 2).value(); }
    [[nodiscard]] UsedElem used(uint16_t ring_position) const
    {
        GuestAddress at = m_used + 4 + 8ULL * (ring_position % m_size);
        return UsedElem { m_memory.read_obj<uint32_t>(at).value(), m_memory.read_obj<uint32_t>(at + 4).value() };
    }
    // avail_event lives after the used ring (virtio 1.2 §2.7.8).
    [[nodiscard]] uint16_t avail_event() const { return m_memory.read_obj<uint16_t>(m_used + 4 + 8ULL * m_size).value(); }

    [[nodiscard]] std::vector<uint8_t> read_bytes(GuestAddress address, size_t length) const
    {
        std::vector<uint8_t> bytes(length);
        EXPECT_TRUE(m_memory.read(address, bytes));
        return bytes;
    }
    [[nodiscard]] std::string read_string(GuestAddress address, size_t length) const
    {
        auto bytes = read_bytes(address, length);
        return std::string(bytes.begin(), bytes.end());
    }

private:
    static GuestAddress align(GuestAddress value, uint64_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }
    void zero(GuestAddress address, uint64_t length)
    {
        std::vector<uint8_t> zeros(length);
        EXPECT_TRUE(m_memory.write(address, zeros));
    }

    const GuestMemory& m_memory;
    uint16_t m_size;
    GuestAddress m_desc;
    GuestAddress m_avail;
    GuestAddress m_used;
    GuestAddress m_next_free;
    uint16_t m_next_desc = 0;
    uint16_t m_avail_idx = 0;
};

// A second vCPU's driver keeping a ring full: refill() makes every chain the device used since
// the last call available again. A test calls it from a back end's hook, in the middle of a
// device's run, or runs it on a thread of its own (start()) while the device runs on the test's.
class RingRefiller {
public:
    explicit RingRefiller(MockDriverQueue& driver, int limit = 20000)
        : m_driver(driver)
        , m_limit(limit)
        , m_seen(driver.used_idx())
    {
    }
    ~RingRefiller() { stop(); }

    void refill()
    {
        uint16_t used = m_driver.used_idx();
        std::atomic_thread_fence(std::memory_order_acquire); // the elements before the index
        while (m_seen != used && m_refilled < m_limit) {
            m_driver.publish(static_cast<uint16_t>(m_driver.used(m_seen).id));
            ++m_seen;
            ++m_refilled;
        }
    }
    // Refills on a thread until stop() or `limit` chains, spinning as a busy vCPU would.
    void start()
    {
        m_thread = std::thread([this] {
            m_running = true;
            while (!m_stop && m_refilled < m_limit)
                refill();
        });
        while (!m_running)
            std::this_thread::yield();
    }
    void stop()
    {
        m_stop = true;
        if (m_thread.joinable())
            m_thread.join();
    }
    [[nodiscard]] int refilled() const { return m_refilled; }

private:
    MockDriverQueue& m_driver;
    int m_limit;
    uint16_t m_seen;
    std::atomic<int> m_refilled { 0 };
    std::atomic<bool> m_running { false };
    std::atomic<bool> m_stop { false };
    std::thread m_thread;
};

// Counts the interrupts a device raises (no transport needed).
class FakeVirtioInterrupt final : public VirtioInterrupt {
public:
    void signal_used(uint16_t queue_index) override { ++used[queue_index]; }
    void signal_config_change() override { ++config_changes; }
    void set_needs_reset() override { needs_reset = true; }
    void renotify(uint16_t queue_index) override { ++renotified[queue_index]; }
    std::map<uint16_t, int> used;
    std::map<uint16_t, int> renotified; // per queue: the handler asked to run again (QueueRun)
    int config_changes = 0;
    bool needs_reset = false;
};

// Queues and an interrupt for testing a VirtioDevice without the PCI transport: configure the
// queues from MockDriverQueues, then activate() the device with activation().
struct DeviceHarness {
    explicit DeviceHarness(const GuestMemory& guest_memory, uint16_t queue_count, uint16_t max_size = 256)
        : memory(guest_memory)
    {
        for (uint16_t i = 0; i < queue_count; ++i)
            queues.emplace_back(i, max_size);
    }
    // Validates the rings of every enabled queue, as the transport does at DRIVER_OK.
    VirtioActivation activation(uint64_t features = virtio::k_f_version_1)
    {
        for (auto& queue : queues) {
            if (queue.enabled()) {
                EXPECT_TRUE(queue.activate(memory, features & virtio::k_f_ring_event_idx,
                    [this] { interrupt.set_needs_reset(); }));
            }
        }
        return VirtioActivation { memory, features, std::span(queues), interrupt };
    }
    const GuestMemory& memory;
    std::vector<VirtQueue> queues;
    FakeVirtioInterrupt interrupt;
};

// Records what the PCI/MSI-X code asks of KVM.
class FakeMsiRouter final : public MsiRouter {
public:
    Result<uint32_t> allocate_gsi() override { return m_next_gsi++; }
    Result<void> set_msi_route(uint32_t gsi, MsiMessage message) override
    {
        if (refuse_routes) // as KVM refuses a message it cannot route (EINVAL)
            return make_error("KVM_SET_GSI_ROUTING: Invalid argument");
        routes[gsi] = message;
        return {};
    }
    Result<void> attach_irqfd(uint32_t gsi, int event_fd) override
    {
        irqfds[gsi] = event_fd;
        return {};
    }
    void detach_irqfd(uint32_t gsi, int) override { irqfds.erase(gsi); }

    std::map<uint32_t, MsiMessage> routes;
    std::map<uint32_t, int> irqfds;
    bool refuse_routes = false;

private:
    uint32_t m_next_gsi = 24;
};

class FakeIoEventRegistrar final : public IoEventRegistrar {
public:
    struct Registration {
        Space space;
        uint64_t address;
        uint32_t length;
        int fd;
        std::optional<uint64_t> datamatch;
    };
    Result<void> add_ioeventfd(Space space, uint64_t address, uint32_t length, int event_fd,
        std::optional<uint64_t> datamatch) override
    {
        if (refuse_adds)
            return make_error("KVM_IOEVENTFD at {:#x}: File exists", address); // another device's is there
        registrations.push_back({ space, address, length, event_fd, datamatch });
        return {};
    }
    void remove_ioeventfd(Space space, uint64_t address, uint32_t, int event_fd, std::optional<uint64_t> datamatch) override
    {
        std::erase_if(registrations, [&](const Registration& r) {
            return r.space == space && r.address == address && r.fd == event_fd && r.datamatch == datamatch;
        });
    }
    std::vector<Registration> registrations;
    bool refuse_adds = false;
};

class FakeInterruptLine final : public InterruptLine {
public:
    void set_level(bool high) override
    {
        level = high;
        if (high)
            ++raised;
    }
    bool level = false;
    int raised = 0;
};

} // namespace vireo::test
