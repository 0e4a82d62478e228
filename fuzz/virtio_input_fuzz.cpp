// libFuzzer target for virtio-input: the input becomes the descriptor tables and available rings
// of eventq and statusq plus guest RAM, a list of config-space accesses and of reports to send.
// The device answers config questions, delivers events into (possibly bad) buffers and reads
// the guest's LED events.
//
// Input layout: per queue (eventq, statusq) 8 descriptors of 6 bytes {u16 addr, u16 len, u8
// flags, u8 next} and a count byte plus up to 8 head bytes; 1 byte kind (keyboard, mouse,
// tablet); 1 byte count of config accesses, each 3 bytes {u8 offset, u8 value, u8 read length};
// 1 byte count of reports, each 1 byte of length then 8 bytes an event; the rest fills RAM.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "devices/virtio/input/virtio_input.h"
#include "fuzz_guest_memory.h"
#include "memory/guest_memory.h"
#include "virtio_fuzz_support.h"

using namespace vireo;
using fuzz::NullInterrupt;
using fuzz::Reader;
using fuzz::write_ring;

namespace {

constexpr uint64_t k_ram = 48 * 1024;
constexpr uint16_t k_queue_size = 8;
constexpr GuestAddress k_rings[2] = { 0x0, 0x400 };
constexpr GuestAddress k_data = 0x1000;


} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    GuestMemory& memory = fuzz::zeroed_guest_memory<k_ram>();
    auto ram = memory.slice(0, k_ram).value();

    Reader in(data, size);
    for (GuestAddress base : k_rings)
        write_ring(memory, base, k_queue_size, in);
    uint8_t kind = in.byte() % 3;
    VirtioInput device(kind == 0 ? keyboard_profile() : kind == 1 ? mouse_profile() : tablet_profile());

    size_t accesses = in.byte() % 16;
    for (size_t i = 0; i < accesses; ++i) {
        uint32_t offset = in.byte() % VirtioInput::k_config_size;
        std::array<uint8_t, 1> value { in.byte() };
        device.write_config(offset, value);
        std::array<uint8_t, 8> out {};
        size_t length = std::min<size_t>(in.byte() % 9, VirtioInput::k_config_size - offset);
        device.read_config(offset, std::span(out).first(length));
    }

    std::vector<std::vector<InputEvent>> reports(in.byte() % 16);
    for (auto& report : reports) {
        report.resize(in.byte() % 80);
        for (auto& event : report) {
            std::array<uint8_t, k_input_event_size> bytes {};
            for (auto& byte : bytes)
                byte = in.byte();
            event = decode_input_event(bytes);
        }
    }
    if (in.position() < size)
        std::memcpy(ram.data() + k_data, data + in.position(), std::min<size_t>(size - in.position(), k_ram - k_data));

    std::vector<VirtQueue> queues;
    for (uint16_t i = 0; i < 2; ++i) {
        queues.emplace_back(i, VirtioInput::k_queue_size);
        queues[i].set_size(k_queue_size);
        queues[i].set_desc_table(k_rings[i]);
        queues[i].set_avail_ring(k_rings[i] + 16 * k_queue_size);
        queues[i].set_used_ring(k_rings[i] + 0x200);
        queues[i].set_enabled(true);
        if (!queues[i].activate(memory, false, [] { }))
            return 0;
    }
    NullInterrupt interrupt;
    if (!device.activate(VirtioActivation { memory, virtio::k_f_version_1, queues, interrupt }))
        return 0;
    for (const auto& report : reports)
        device.send(report);
    device.queue_notify(VirtioInput::k_event_queue);
    device.queue_notify(VirtioInput::k_status_queue);
    device.reset();
    return 0;
}
