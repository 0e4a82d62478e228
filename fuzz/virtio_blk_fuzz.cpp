// libFuzzer target for virtio-blk request handling: the input becomes a descriptor table, an
// available ring and the bytes of guest RAM; the device pops, validates and completes the
// requests against an in-memory disk. Any crash, sanitizer report or a request that the device
// neither completes nor keeps in flight is a bug.
//
// Input layout: 16 descriptors of 6 bytes {u16 addr, u16 len, u8 flags, u8 next} (addresses
// run past the 48 KiB of RAM on purpose), 1 byte ring count, up to 16 head bytes, 1 byte of
// options (read-only, negotiated features), then the contents of the data area.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>

#include "base/event_fd.h"
#include "block/disk_image.h"
#include "devices/virtio/blk/virtio_blk.h"
#include "fuzz_guest_memory.h"
#include "memory/guest_memory.h"
#include "virtio_fuzz_support.h"

using namespace vireo;

namespace {

constexpr uint64_t k_ram = 48 * 1024;
constexpr uint16_t k_queue_size = 16;
constexpr GuestAddress k_desc = 0x0;
constexpr GuestAddress k_avail = 0x100;
constexpr GuestAddress k_used = 0x200;
constexpr GuestAddress k_data = 0x1000;

class MemoryDisk final : public DiskImage {
public:
    MemoryDisk(bool read_only)
        : m_data(32 * 1024)
        , m_read_only(read_only)
        , m_event(EventFd::create().value())
    {
    }
    uint64_t size() const override { return m_data.size(); }
    bool read_only() const override { return m_read_only; }
    bool supports_discard() const override { return true; }
    void submit(DiskRequest request, DiskCompletion done) override { m_pending.emplace_back(std::move(request), std::move(done)); }
    int completion_fd() const override { return m_event.fd(); }
    void process_completions() override
    {
        auto batch = std::move(m_pending);
        m_pending.clear();
        for (auto& [request, done] : batch) {
            int result = 0;
            uint64_t offset = request.offset;
            if (request.op == DiskOp::Read || request.op == DiskOp::Write) {
                for (const auto& v : request.iov) {
                    if (offset > m_data.size() || v.iov_len > m_data.size() - offset)
                        __builtin_trap(); // the device let an out-of-range request through
                    if (request.op == DiskOp::Read)
                        std::memcpy(v.iov_base, m_data.data() + offset, v.iov_len);
                    else
                        std::memcpy(m_data.data() + offset, v.iov_base, v.iov_len);
                    offset += v.iov_len;
                }
            } else if (request.op != DiskOp::Flush) {
                if (offset > m_data.size() || request.length > m_data.size() - offset)
                    __builtin_trap();
                std::memset(m_data.data() + offset, 0, request.length);
            }
            if (m_read_only && request.op != DiskOp::Read && request.op != DiskOp::Flush)
                __builtin_trap(); // a write reached a read-only disk
            done(result);
        }
    }

private:
    std::vector<uint8_t> m_data;
    bool m_read_only;
    EventFd m_event;
    std::deque<std::pair<DiskRequest, DiskCompletion>> m_pending;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    constexpr size_t k_desc_bytes = 6 * k_queue_size;
    if (size < k_desc_bytes + 2)
        return 0;
    GuestMemory& memory = fuzz::zeroed_guest_memory<k_ram>();
    auto ram = memory.slice(0, k_ram).value();

    for (uint16_t i = 0; i < k_queue_size; ++i) {
        const uint8_t* d = data + 6 * i;
        uint64_t address = uint64_t { d[0] } | uint64_t { d[1] } << 8;
        uint32_t length = uint32_t { d[2] } | uint32_t { d[3] } << 8;
        uint16_t flags = d[4] & 7;
        uint16_t next = d[5];
        (void)memory.write_obj<uint64_t>(k_desc + 16 * i, address);
        (void)memory.write_obj<uint32_t>(k_desc + 16 * i + 8, length);
        (void)memory.write_obj<uint16_t>(k_desc + 16 * i + 12, flags);
        (void)memory.write_obj<uint16_t>(k_desc + 16 * i + 14, next);
    }
    size_t position = k_desc_bytes;
    uint16_t count = static_cast<uint16_t>(data[position++] % (k_queue_size + 1));
    for (uint16_t i = 0; i < count; ++i) {
        uint16_t head = position < size ? data[position++] : 0;
        (void)memory.write_obj<uint16_t>(k_avail + 4 + 2 * i, head);
    }
    (void)memory.write_obj<uint16_t>(k_avail + 2, count);
    uint8_t options = position < size ? data[position++] : 0;
    if (position < size)
        std::memcpy(ram.data() + k_data, data + position, std::min<size_t>(size - position, k_ram - k_data));

    VirtQueue queue(0, 256);
    queue.set_size(k_queue_size);
    queue.set_desc_table(k_desc);
    queue.set_avail_ring(k_avail);
    queue.set_used_ring(k_used);
    queue.set_enabled(true);
    if (!queue.activate(memory, options & 2, [] { }))
        return 0;

    auto disk = std::make_unique<MemoryDisk>(options & 1);
    MemoryDisk* raw_disk = disk.get();
    VirtioBlk blk(std::move(disk), VirtioBlkOptions { .serial = "fuzz", .discard = true });
    fuzz::NullInterrupt interrupt;
    uint64_t features = (options & 4 ? blk.device_features() : 0) | virtio::k_f_version_1;
    if (!blk.activate(VirtioActivation { memory, features, std::span(&queue, 1), interrupt }))
        return 0;
    blk.queue_notify(0);
    blk.process_completions();
    (void)raw_disk;
    if (blk.in_flight() != 0)
        __builtin_trap(); // every submitted request completed, so none may stay in flight
    if (options & 8) {
        blk.reset();
        blk.process_completions();
    }
    return 0;
}
