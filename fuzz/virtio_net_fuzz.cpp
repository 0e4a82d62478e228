// libFuzzer target for virtio-net: the input becomes the descriptor tables and available rings
// of the receive and transmit queues plus guest RAM, and a list of frames the back end
// delivers. The device transmits, receives into (mergeable) buffers and applies back-pressure.
//
// Input layout: per queue (rx, tx) 8 descriptors of 6 bytes {u16 addr, u16 len, u8 flags,
// u8 next} and a count byte plus up to 8 head bytes; 1 options byte (vnet header, MRG_RXBUF,
// EVENT_IDX); 1 byte frame count; then frame lengths are taken 2 bytes at a time from the rest,
// which also fills guest RAM.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>

#include "devices/virtio/net/virtio_net.h"
#include "fuzz_guest_memory.h"
#include "memory/guest_memory.h"
#include "virtio_fuzz_support.h"

using namespace vireo;

namespace {

constexpr uint64_t k_ram = 48 * 1024;
constexpr uint16_t k_queue_size = 8;
constexpr GuestAddress k_rings[2] = { 0x0, 0x400 };
constexpr GuestAddress k_data = 0x1000;

class ScriptedBackend final : public NetBackend {
public:
    explicit ScriptedBackend(bool vnet)
        : m_vnet(vnet)
    {
    }
    bool has_vnet_header() const override { return m_vnet; }
    Result<void> set_offloads(const NetOffloads&) override { return {}; }
    Result<void> send(std::span<const iovec> iov) override
    {
        volatile uint8_t sink = 0;
        for (const auto& v : iov)
            for (size_t i = 0; i < v.iov_len; ++i)
                sink = sink + static_cast<const uint8_t*>(v.iov_base)[i];
        return {};
    }
    Result<size_t> receive_into(std::span<const iovec> iov) override
    {
        if (frames.empty())
            return size_t { 0 };
        size_t length = frames.front();
        frames.pop_front();
        size_t written = 0;
        for (const iovec& part : iov) {
            size_t chunk = std::min(part.iov_len, length - written);
            std::memset(part.iov_base, 0x5a, chunk);
            written += chunk;
        }
        return written;
    }
    void set_receive_handler(std::function<void()>) override { }
    void set_receive_enabled(bool) override { }

    bool m_vnet;
    std::deque<size_t> frames;
};


} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    GuestMemory& memory = fuzz::zeroed_guest_memory<k_ram>();
    auto ram = memory.slice(0, k_ram).value();

    fuzz::Reader in(data, size);
    for (GuestAddress base : k_rings)
        fuzz::write_ring(memory, base, k_queue_size, in);
    size_t position = in.position();
    uint8_t options = position < size ? data[position++] : 0;
    size_t frame_count = position < size ? data[position++] % 8 : 0;

    auto backend = std::make_unique<ScriptedBackend>(options & 1);
    ScriptedBackend* raw = backend.get();
    for (size_t i = 0; i < frame_count && position + 1 < size; ++i, position += 2)
        raw->frames.push_back(size_t { data[position] } | size_t { data[position + 1] } << 8);
    if (position < size)
        std::memcpy(ram.data() + k_data, data + position, std::min<size_t>(size - position, k_ram - k_data));

    std::vector<std::unique_ptr<NetBackend>> backends;
    backends.push_back(std::move(backend));
    auto net = VirtioNet::create(std::move(backends), VirtioNetOptions { .queue_size = 256 });
    if (!net)
        return 0;
    std::vector<VirtQueue> queues;
    for (uint16_t i = 0; i < 2; ++i) {
        queues.emplace_back(i, 256);
        queues[i].set_size(k_queue_size);
        queues[i].set_desc_table(k_rings[i]);
        queues[i].set_avail_ring(k_rings[i] + 16 * k_queue_size);
        queues[i].set_used_ring(k_rings[i] + 0x200);
        queues[i].set_enabled(true);
        if (!queues[i].activate(memory, options & 4, [] { }))
            return 0;
    }
    fuzz::NullInterrupt interrupt;
    uint64_t features = virtio::k_f_version_1 | ((options & 2) ? virtio_net::k_f_mrg_rxbuf : 0);
    if (!(*net)->activate(VirtioActivation { memory, features & ((*net)->device_features() | virtio::k_f_version_1), queues, interrupt }))
        return 0;
    (*net)->process_events();
    (*net)->queue_notify(1);
    (*net)->queue_notify(0);
    (*net)->backend_readable(0);
    (*net)->reset();
    (*net)->process_events();
    return 0;
}
