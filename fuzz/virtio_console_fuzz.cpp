// libFuzzer target for the virtio console (virtio 1.2 §5.3, one port, no multiport): the input
// becomes the descriptor tables and available rings of receiveq0 and transmitq0, guest RAM and
// host input. The device transmits guest output to a back end and delivers host input into
// receive buffers, before and after activation. Bugs: a crash or sanitizer report; a used ring
// naming heads the driver did not post; more input delivered than the host sent; a transmit
// chain handed to the back end beyond its 64 KiB limit or completed with a non-zero length.
//
// Input layout: per queue (rx, tx) 8 descriptors of 6 bytes {u16 addr, u16 len, u8 flags,
// u8 next} and a count byte plus up to 8 head bytes; 1 options byte; u16 input length (the
// input bytes follow); then the contents of the data area.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "devices/virtio/console/virtio_console.h"
#include "fuzz_guest_memory.h"
#include "memory/guest_memory.h"
#include "virtio_fuzz_support.h"

using namespace vireo;

namespace {

constexpr uint16_t k_queue_size = 8;
constexpr GuestAddress k_rings[2] = { 0x0, 0x400 };
constexpr GuestAddress k_data = 0x1000;
// The used rings lie beyond every buffer's reach (descriptor addresses and lengths are 16-bit
// here), so that what the checks read is what the device wrote as used entries.
constexpr GuestAddress k_used[2] = { 0x20000, 0x20100 };
constexpr uint64_t k_ram = 0x21000;

class CountingBackend final : public ConsoleBackend {
public:
    void write(std::span<const uint8_t> bytes) override
    {
        volatile uint8_t sink = 0;
        for (uint8_t byte : bytes)
            sink = sink + byte; // every byte must be readable host memory
        total += bytes.size();
    }
    uint64_t total = 0;
};

uint64_t used_length_sum(const GuestMemory& memory, GuestAddress used)
{
    uint16_t count = memory.read_obj<uint16_t>(used + 2).value_or(0);
    uint64_t sum = 0;
    for (uint16_t i = 0; i < count && i < k_queue_size; ++i)
        sum += memory.read_obj<uint32_t>(used + 8 + 8 * i).value_or(0);
    return sum;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    GuestMemory& memory = fuzz::zeroed_guest_memory<k_ram>();
    auto ram = memory.slice(0, k_ram).value();

    fuzz::Reader in(data, size);
    std::array<uint16_t, 2> posted {};
    std::array<std::vector<uint8_t>, 2> rings_before;
    for (size_t i = 0; i < 2; ++i) {
        posted[i] = fuzz::write_ring(memory, k_rings[i], k_queue_size, in);
        rings_before[i] = fuzz::ring_bytes(memory, k_rings[i], k_queue_size);
    }
    uint8_t options = in.byte();
    std::vector<uint8_t> input(in.u16() % 2048);
    for (auto& byte : input)
        byte = in.byte();
    if (in.position() < size)
        std::memcpy(ram.data() + k_data, data + in.position(), std::min<size_t>(size - in.position(), k_ram - k_data));

    auto backend = std::make_shared<CountingBackend>();
    VirtioConsole console(backend, static_cast<uint16_t>(options), 25);
    std::array<uint8_t, 16> config {};
    uint32_t config_offset = options % console.config_size();
    console.read_config(config_offset, std::span(config).first(std::min<size_t>(8, console.config_size() - config_offset)));
    if (options & 1)
        console.push_input(input); // before DRIVER_OK: held until the guest posts buffers

    std::vector<VirtQueue> queues;
    for (uint16_t i = 0; i < 2; ++i) {
        queues.emplace_back(i, virtio::k_default_queue_size);
        queues[i].set_size(k_queue_size);
        queues[i].set_desc_table(k_rings[i]);
        queues[i].set_avail_ring(k_rings[i] + 16 * k_queue_size);
        queues[i].set_used_ring(k_used[i]);
        queues[i].set_enabled(true);
        if (!queues[i].activate(memory, options & 2, [] { }))
            return 0;
    }
    fuzz::NullInterrupt interrupt;
    if (!console.activate(VirtioActivation { memory, virtio::k_f_version_1, queues, interrupt }))
        __builtin_trap();
    if (!(options & 1))
        console.push_input(input);
    console.queue_notify(VirtioConsole::k_transmit_queue);
    console.queue_notify(VirtioConsole::k_receive_queue);
    console.queue_notify(static_cast<uint16_t>(options >> 4)); // any index the guest may notify

    // Host input written over a receive ring's own descriptors or available ring may offer more
    // chains than the input posted (found by the campaign: input bytes 0xff over the available
    // index); then each of the four runs that may reach a queue (input pushed, three notifies)
    // takes at most a queue's worth.
    std::array<uint16_t, 2> available {};
    for (size_t i = 0; i < 2; ++i) {
        available[i] = fuzz::chains_available(memory, k_rings[i], k_queue_size, posted[i], rings_before[i], 4);
        fuzz::check_used_ring(memory, k_used[i], k_queue_size, available[i], k_ram);
    }
    if (used_length_sum(memory, k_used[0]) > input.size())
        __builtin_trap(); // delivered more than the host sent
    if (used_length_sum(memory, k_used[1]) != 0)
        __builtin_trap(); // transmit buffers are device-readable only: used length 0 (§5.3.6.2)
    if (backend->total > uint64_t { available[1] } * VirtioConsole::k_max_output_per_chain)
        __builtin_trap();
    console.reset();
    console.push_input(input); // after reset: buffered, the queues untouched
    console.queue_notify(VirtioConsole::k_receive_queue);
    return 0;
}
