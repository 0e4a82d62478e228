// libFuzzer target for the standard VGA's register interface: VGA ports (sequencer, graphics
// controller, CRTC, attribute controller, DAC), the Bochs DISPI ports, the legacy window with
// its planar write modes, the MMIO BAR, PCI configuration writes that move or disable the
// framebuffer BAR and the ROM, and refreshes in between. 1 MiB of video memory, so that DISPI
// modes run past it. A crash, a sanitizer report or a dirty rectangle outside the surface is a bug.
//
// Each step is one opcode byte followed by its operands (missing bytes read as zero).
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include "bus/bus.h"
#include "devices/display/std_vga.h"
#include "devices/pci/pci_root.h"

using namespace vireo;

namespace {

class FakeKvm final : public MemorySlots, public DirtyLog {
public:
    Result<SlotId> map_slot(uint64_t address, uint64_t size, uint8_t*, SlotAccess) override
    {
        if (address < 0x100'0000) // "RAM" below 16 MiB
            return make_error("overlaps RAM");
        for (const auto& [id, range] : m_slots) {
            if (address < range.first + range.second && range.first < address + size)
                return make_error("overlap");
        }
        m_slots[m_next] = { address, size };
        return SlotId { m_next++ };
    }
    void unmap_slot(SlotId slot) override
    {
        if (m_slots.erase(slot.value) != 1)
            __builtin_trap(); // unmapping a slot that is not there
    }
    Result<void> take_dirty_pages(SlotId slot, std::span<uint64_t> bitmap) override
    {
        if (!m_slots.contains(slot.value))
            __builtin_trap();
        for (auto& word : bitmap)
            word = m_dirty;
        m_dirty = ~m_dirty & 0x5555'0000'ffff'0001ULL;
        return {};
    }

private:
    std::map<uint32_t, std::pair<uint64_t, uint64_t>> m_slots;
    uint32_t m_next = 0;
    uint64_t m_dirty = 1;
};

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

void check_update(const DisplaySurface& surface, const DisplayUpdate& update)
{
    for (const auto& rect : update.rects) {
        if (rect.x + rect.width > surface.width() || rect.y + rect.height > surface.height())
            __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    FakeKvm kvm;
    Bus mmio { "mmio" };
    Bus pio { "pio" };
    PciRoot root { mmio, pio,
        PciWindows { .mmio32_start = 0xc000'0000, .mmio32_end = 0xfec0'0000, .io_start = 0xc000, .io_end = 0x10000 },
        [](uint8_t) {} };
    auto created = StdVga::create(kvm, kvm, StdVgaConfig { 1 << 20, std::vector<uint8_t>(3000, 0x55) });
    if (!created)
        __builtin_trap();
    auto vga = *created;
    if (!root.add_device(vga, 2))
        __builtin_trap();

    Input in { data, size };
    DisplaySurface surface; // the consumer's
    uint64_t now = 0;
    int renders = 0; // a few per input: a full redraw of a large mode takes a while under ASan
    for (int step = 0; step < 256 && !in.empty(); ++step) {
        const uint8_t op = static_cast<uint8_t>(in.take(1));
        const size_t width = (op & 0x80) ? 2 : 1;
        std::array<uint8_t, 4> bytes {};
        switch (op % 12) {
        case 0: { // VGA port write
            uint16_t port = static_cast<uint16_t>(vga::k_port_base + in.take(1) % vga::k_port_count);
            uint64_t value = in.take(width);
            for (size_t i = 0; i < width; ++i)
                bytes[i] = static_cast<uint8_t>(value >> (8 * i));
            vga->port_write(port, std::span(bytes).first(width));
            break;
        }
        case 1: {
            uint16_t port = static_cast<uint16_t>(vga::k_port_base + in.take(1) % vga::k_port_count);
            vga->port_read(port, std::span(bytes).first(width));
            break;
        }
        case 2:
        case 3: { // DISPI index (mostly small) or data
            uint64_t value = in.take(2);
            if (op % 12 == 2)
                value %= 16;
            bytes[0] = static_cast<uint8_t>(value);
            bytes[1] = static_cast<uint8_t>(value >> 8);
            vga->port_write(static_cast<uint16_t>(dispi::k_index_port + op % 12 - 2), std::span(bytes).first(2));
            break;
        }
        case 4:
            vga->port_read(static_cast<uint16_t>(dispi::k_index_port + 1 + (op >> 7)), std::span(bytes).first(width));
            break;
        case 5: { // the legacy window
            uint64_t offset = in.take(3) % VgaMemory::k_window_size;
            bytes[0] = static_cast<uint8_t>(in.take(1));
            vga->window_write(offset, std::span(bytes).first(1));
            break;
        }
        case 6:
            vga->window_read(in.take(3) % VgaMemory::k_window_size, std::span(bytes).first(width));
            break;
        case 7:
        case 8: { // the MMIO BAR
            auto bar = vga->bar_mapping(StdVga::k_mmio_bar);
            uint64_t offset = in.take(2) % StdVga::k_mmio_size;
            size_t access = size_t(1) << (in.take(1) % 3);
            if (!bar || offset + access > StdVga::k_mmio_size)
                break;
            if (op % 12 == 7) {
                uint64_t value = in.take(access);
                for (size_t i = 0; i < access; ++i)
                    bytes[i] = static_cast<uint8_t>(value >> (8 * i));
                (void)mmio.write(*bar + offset, std::span(bytes).first(access));
            } else {
                (void)mmio.read(*bar + offset, std::span(bytes).first(access));
            }
            break;
        }
        case 9: {
            now += in.take(1) * 10;
            if (++renders <= 6)
                check_update(surface, vga->render_update(now, surface, Redraw::Changes));
            break;
        }
        case 10: { // configuration: BARs, ROM, command
            static constexpr std::array<uint16_t, 4> registers { 0x04, 0x10, 0x18, 0x30 };
            uint16_t reg = registers[in.take(1) % registers.size()];
            uint64_t value = in.take(4);
            for (size_t i = 0; i < 4; ++i)
                bytes[i] = static_cast<uint8_t>(value >> (8 * i));
            root.config_write(2, 0, reg, bytes);
            break;
        }
        default: { // framebuffer accesses that exit (the BAR over "RAM")
            auto bar = vga->bar_mapping(StdVga::k_framebuffer_bar);
            if (!bar)
                break;
            uint64_t offset = in.take(3) % vga->vram_size();
            bytes[0] = static_cast<uint8_t>(in.take(1));
            (void)mmio.write(*bar + offset, std::span(bytes).first(1));
            break;
        }
        }
    }
    check_update(surface, vga->render_update(now + 1000, surface, Redraw::Changes));
    auto state = vga->save();
    vga->restore(state);
    check_update(surface, vga->render_update(now + 2000, surface, Redraw::Everything));
    return 0;
}
