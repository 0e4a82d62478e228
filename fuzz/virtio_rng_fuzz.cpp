// libFuzzer target for the virtio entropy device (virtio 1.2 §5.4): the input becomes its request
// queue's descriptor table and available ring plus guest RAM. The device fills the writable
// buffers of each chain; any crash, sanitizer report or used ring that names a head the driver
// did not post, or more chains than it posted, is a bug.
//
// Input layout: 16 descriptors of 6 bytes {u16 addr, u16 len, u8 flags, u8 next} (buffers may
// overlap the descriptor table and available ring), 1 byte ring count, up to 16 head bytes, 1 options
// byte (EVENT_IDX, a second notify, reset in between), then the contents of the data area.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "devices/virtio/rng/virtio_rng.h"
#include "fuzz_guest_memory.h"
#include "memory/guest_memory.h"
#include "virtio_fuzz_support.h"

using namespace vireo;

namespace {

constexpr uint16_t k_queue_size = 16;
constexpr GuestAddress k_ring = 0x0;
constexpr GuestAddress k_data = 0x1000;
// Beyond every buffer's reach (descriptor addresses and lengths are 16-bit here), so that what
// check_used_ring reads is what the device wrote as used entries: a buffer over the used ring
// is the driver's own mistake, and the ring's contents are then whatever the buffer received.
constexpr GuestAddress k_used = 0x20000;
constexpr uint64_t k_ram = k_used + 0x1000;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    GuestMemory& memory = fuzz::zeroed_guest_memory<k_ram>();
    auto ram = memory.slice(0, k_ram).value();

    fuzz::Reader in(data, size);
    uint16_t posted = fuzz::write_ring(memory, k_ring, k_queue_size, in);
    uint8_t options = in.byte();
    if (in.position() < size)
        std::memcpy(ram.data() + k_data, data + in.position(), std::min<size_t>(size - in.position(), k_ram - k_data));

    VirtQueue queue(0, virtio::k_default_queue_size);
    queue.set_size(k_queue_size);
    queue.set_desc_table(k_ring);
    queue.set_avail_ring(k_ring + 16 * k_queue_size);
    queue.set_used_ring(k_used);
    queue.set_enabled(true);
    if (!queue.activate(memory, options & 1, [] { }))
        return 0;

    // Zeros instead of the host's entropy: libFuzzer runs an input again (to look for leaks, to
    // reproduce it), and random bytes landing on the ring (a buffer over the descriptor table or
    // the available ring) made the second run differ from the first. Zeros written there cannot
    // make more chains available than the input posted, so the used-ring check stays exact.
    VirtioRng rng([](std::span<uint8_t> out) {
        std::ranges::fill(out, 0);
        return out.size();
    });
    std::array<uint8_t, 4> config {};
    rng.read_config(0, std::span(config).first(0));
    fuzz::NullInterrupt interrupt;
    if (!rng.activate(VirtioActivation { memory, virtio::k_f_version_1, std::span(&queue, 1), interrupt }))
        __builtin_trap(); // an enabled, valid queue must activate
    rng.queue_notify(0);
    if (options & 2)
        rng.queue_notify(0); // nothing new posted: must use nothing more
    fuzz::check_used_ring(memory, k_used, k_queue_size, posted, k_ram);
    rng.reset();
    if (options & 4)
        rng.queue_notify(0); // after reset the device must not touch the queue
    fuzz::check_used_ring(memory, k_used, k_queue_size, posted, k_ram);
    return 0;
}
