// libFuzzer target: the fw_cfg device's ports and DMA descriptors against a small guest RAM.
// The input is a sequence of operations (port reads and writes of any width at any offset,
// DMA descriptors with fuzzed control, length and address placed in or outside RAM); nothing
// may crash or touch memory outside the guest's.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "devices/firmware/fw_cfg.h"
#include "memory/guest_memory.h"

using namespace vireo;

namespace {

constexpr uint64_t k_ram_size = 0x10000;
constexpr GuestAddress k_ram_start = 0x10000;

GuestMemory& memory()
{
    static std::optional<GuestMemory> instance;
    if (!instance) {
        std::array<GuestRegionSpec, 1> specs { GuestRegionSpec { k_ram_start, k_ram_size } };
        instance.emplace(GuestMemory::create(specs).value());
    }
    return *instance;
}

struct Input {
    const uint8_t* data;
    size_t size;

    bool empty() const { return size == 0; }
    uint64_t take(size_t width)
    {
        uint64_t value = 0;
        for (size_t i = 0; i < width && size > 0; ++i, ++data, --size)
            value |= uint64_t(*data) << (8 * i);
        return value;
    }
};

// An address that is mostly inside RAM, sometimes at its edges or anywhere.
uint64_t pick_address(Input& in)
{
    const uint8_t mode = static_cast<uint8_t>(in.take(1));
    switch (mode % 4) {
    case 0:
        return k_ram_start + in.take(2) % k_ram_size;
    case 1:
        return k_ram_start + k_ram_size - in.take(1) % 32;
    case 2:
        return in.take(8);
    default:
        return k_ram_start + in.take(1);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto& ram = memory();
    FwCfg device(ram);
    (void)device.add_u16(fw_cfg::k_nb_cpus, 2);
    (void)device.add_file("etc/ro", std::vector<uint8_t>(100, 0x11));
    (void)device.add_file("etc/rw", std::vector<uint8_t>(40, 0x22), FwCfg::Access::ReadWrite);
    (void)device.add_file("etc/empty", {});

    Input in { data, size };
    for (int step = 0; step < 64 && !in.empty(); ++step) {
        const uint8_t op = static_cast<uint8_t>(in.take(1));
        const size_t width = size_t(1) << (op >> 6); // 1, 2, 4 or 8
        const uint64_t offset = (op & 0x3f) % FwCfg::k_port_count;
        if (offset + width > FwCfg::k_port_count)
            continue; // the bus only passes accesses inside the range
        std::array<uint8_t, 8> bytes {};
        switch ((op >> 4) & 3) {
        case 0:
            device.read(offset, std::span(bytes).first(width));
            break;
        case 1: {
            const uint64_t value = in.take(width);
            for (size_t i = 0; i < width; ++i)
                bytes[i] = static_cast<uint8_t>(value >> (8 * i));
            device.write(offset, std::span(bytes).first(width));
            break;
        }
        default: {
            // A DMA descriptor written into RAM (or pointed anywhere) and started.
            const uint64_t descriptor = pick_address(in);
            std::array<uint32_t, 4> raw { std::byteswap(static_cast<uint32_t>(in.take(4))),
                std::byteswap(static_cast<uint32_t>(in.take(2) | (in.take(1) & 1 ? 0xffff0000u : 0))), 0, 0 };
            const uint64_t address = pick_address(in);
            raw[2] = std::byteswap(static_cast<uint32_t>(address >> 32));
            raw[3] = std::byteswap(static_cast<uint32_t>(address));
            (void)ram.write_obj(descriptor, raw);
            std::array<uint8_t, 8> reg {};
            for (size_t i = 0; i < 8; ++i)
                reg[i] = static_cast<uint8_t>(descriptor >> (56 - 8 * i));
            if (op & 1) {
                device.write(FwCfg::k_dma_offset, reg);
            } else {
                device.write(FwCfg::k_dma_offset, std::span(reg).first(4));
                device.write(FwCfg::k_dma_offset + 4, std::span(reg).subspan(4));
            }
            break;
        }
        }
    }
    auto state = device.save();
    device.restore(state);
    return 0;
}
