// libFuzzer target: the device side of a split virtqueue against arbitrary guest memory.
// The input's first bytes choose the queue size and features; the rest is laid into a small
// guest RAM holding the descriptor table, both rings and the buffers. The device pops every
// chain it can, touches all its buffers, and pushes it back; nothing may crash or read outside
// guest memory, whatever the driver wrote.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "devices/virtio/queue.h"
#include "fuzz_reader.h"
#include "memory/guest_memory.h"

using namespace vireo;

namespace {

constexpr uint64_t k_ram_size = 0x10000;
constexpr GuestAddress k_ram_start = 0x10000; // guest addresses below the region are invalid

GuestMemory& memory()
{
    static std::optional<GuestMemory> instance;
    if (!instance) {
        std::array<GuestRegionSpec, 1> specs { GuestRegionSpec { k_ram_start, k_ram_size } };
        instance.emplace(GuestMemory::create(specs).value());
    }
    return *instance;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 4)
        return 0;
    auto& ram = memory();
    uint8_t control = data[0];
    uint16_t queue_size = static_cast<uint16_t>(1U << (data[1] % 9)); // 1..256
    bool event_idx = control & 1;
    data += 2;
    size -= 2;

    // Fill guest RAM with the input, repeated, so rings and buffers hold fuzz bytes.
    fuzz::repeat_fill(ram.slice(k_ram_start, k_ram_size).value(), std::span(data, size));

    // Rings at fixed, valid places (their contents are fuzzed); occasionally misplaced.
    VirtQueue queue(0, 256);
    queue.set_size(queue_size);
    queue.set_desc_table(k_ram_start);
    queue.set_avail_ring(k_ram_start + 0x1000 + (control & 2 ? 1 : 0));
    queue.set_used_ring(k_ram_start + 0x2000);
    queue.set_enabled(true);
    bool failed = false;
    if (!queue.activate(ram, event_idx, [&] { failed = true; }))
        return 0;

    std::array<uint8_t, 4096> scratch {}; // zeroed: chains write it into guest RAM
    for (int round = 0; round < 2 * queue_size + 2; ++round) {
        auto chain = queue.pop();
        if (!chain)
            break;
        // Touch every byte the chain claims, in both directions.
        size_t readable = chain->read_from(0, std::span(scratch).first(std::min<size_t>(scratch.size(), chain->readable_length())));
        size_t written = chain->write_to(0, std::span(scratch).first(std::min<size_t>(scratch.size(), chain->writable_length())));
        for (const auto& buffer : chain->readable())
            std::memcpy(scratch.data(), buffer.host.data(), std::min(scratch.size(), buffer.host.size()));
        auto iov = chain->writable_iovecs(readable % 7, written);
        for (const auto& entry : iov)
            std::memset(entry.iov_base, 0x5a, entry.iov_len);
        if (control & 4) {
            queue.undo_pop();
            (void)queue.pop();
        }
        queue.push(*chain, static_cast<uint32_t>(written));
        if (control & 8)
            queue.disable_notification();
        (void)queue.should_notify();
        if (control & 16)
            (void)queue.enable_notification();
    }
    (void)failed;
    return 0;
}
