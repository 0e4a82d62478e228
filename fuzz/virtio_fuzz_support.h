#pragma once
// What the virtio device fuzz targets share: an interrupt sink that does nothing, a reader of the
// fuzzer's bytes (zeros once they run out), and a split ring whose descriptors and available
// entries come from those bytes.
#include <cstddef>
#include <cstdint>

#include "devices/virtio/virtio_device.h"
#include "memory/guest_memory.h"

namespace vireo::fuzz {

class NullInterrupt final : public VirtioInterrupt {
public:
    void signal_used(uint16_t) override { }
    void signal_config_change() override { }
    void set_needs_reset() override { }
    void renotify(uint16_t) override { }
};

class Reader {
public:
    Reader(const uint8_t* data, size_t size)
        : m_data(data)
        , m_size(size)
    {
    }
    uint8_t byte() { return m_position < m_size ? m_data[m_position++] : 0; }
    size_t position() const { return m_position; }

private:
    const uint8_t* m_data;
    size_t m_size;
    size_t m_position = 0;
};

// A descriptor table of queue_size entries at base (addresses and lengths below 64 KiB, any flags
// and next indices) and its available ring right after it, with up to queue_size heads.
inline void write_ring(const GuestMemory& memory, GuestAddress base, uint16_t queue_size, Reader& in)
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
}

} // namespace vireo::fuzz
