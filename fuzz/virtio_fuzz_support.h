#pragma once
// What the virtio device fuzz targets share: an interrupt sink that does nothing, a reader of the
// fuzzer's bytes (fuzz_reader.h), and a split ring whose descriptors and available
// entries come from those bytes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "devices/virtio/virtio_device.h"
#include "fuzz_reader.h"
#include "memory/guest_memory.h"

namespace vireo::fuzz {

class NullInterrupt final : public VirtioInterrupt {
public:
    void signal_used(uint16_t) override { }
    void signal_config_change() override { }
    void set_needs_reset() override { }
    void renotify(uint16_t) override { }
};

// What any device may have done to a split ring's used ring when at most `posted` chains were
// available to it (virtio 1.2 §2.7.8): advanced idx by at most `posted`, and named only heads
// below the queue size with lengths that fit in guest RAM. Anything else is a bug.
inline void check_used_ring(const GuestMemory& memory, GuestAddress used, uint16_t queue_size, uint16_t posted,
    uint64_t ram_size)
{
    auto idx = memory.read_obj<uint16_t>(used + 2);
    if (!idx)
        __builtin_trap();
    if (*idx > posted)
        __builtin_trap(); // more chains used than were available
    for (uint16_t i = 0; i < *idx && i < queue_size; ++i) {
        auto id = memory.read_obj<uint32_t>(used + 4 + 8 * i);
        auto length = memory.read_obj<uint32_t>(used + 8 + 8 * i);
        if (!id || !length || *id >= queue_size || *length > ram_size)
            __builtin_trap();
    }
}

// A descriptor table of queue_size entries at base (addresses and lengths below 64 KiB, any flags
// and next indices) and its available ring right after it, with up to queue_size heads.
// Returns how many heads it made available.
inline uint16_t write_ring(const GuestMemory& memory, GuestAddress base, uint16_t queue_size, Reader& in)
{
    GuestAddress avail = base + 16 * queue_size;
    for (uint16_t i = 0; i < queue_size; ++i) {
        uint8_t d[6] = {};
        for (auto& byte : d)
            byte = in.byte();
        (void)memory.write_obj<uint64_t>(base + 16 * i, uint64_t { d[0] } | uint64_t { d[1] } << 8);
        (void)memory.write_obj<uint32_t>(base + 16 * i + 8, uint32_t { d[2] } | uint32_t { d[3] } << 8);
        (void)memory.write_obj<uint16_t>(base + 16 * i + 12, static_cast<uint16_t>(d[4] & 7));
        (void)memory.write_obj<uint16_t>(base + 16 * i + 14, d[5]);
    }
    auto count = static_cast<uint16_t>(in.byte() % (queue_size + 1));
    for (uint16_t i = 0; i < count; ++i)
        (void)memory.write_obj<uint16_t>(avail + 4 + 2 * i, in.byte());
    (void)memory.write_obj<uint16_t>(avail + 2, count);
    return count;
}

// The bytes of a split ring's descriptor table and available ring (as write_ring lays them out).
inline std::vector<uint8_t> ring_bytes(const GuestMemory& memory, GuestAddress base, uint16_t queue_size)
{
    std::vector<uint8_t> bytes(16 * queue_size + 4 + 2 * queue_size);
    (void)memory.read(base, bytes);
    return bytes;
}

// How many chains a device may have used from a ring the input posted `posted` chains on, over
// `runs` runs of its handler: `posted`, unless the device's own writes (a buffer the driver put
// over its descriptor table or available ring) changed the ring, which then offered whatever
// those bytes say, up to a queue's worth per run (QueueRun's budget).
inline uint16_t chains_available(const GuestMemory& memory, GuestAddress base, uint16_t queue_size, uint16_t posted,
    const std::vector<uint8_t>& before, uint16_t runs)
{
    return ring_bytes(memory, base, queue_size) == before ? posted : static_cast<uint16_t>(queue_size * runs);
}

} // namespace vireo::fuzz
