// libFuzzer target for the standard VGA's register interface: VGA ports (sequencer, graphics
// controller, CRTC, attribute controller, DAC), the Bochs DISPI ports, the legacy window with
// its planar write modes, the MMIO BAR, PCI configuration writes that move or disable the
// framebuffer BAR and the ROM, and refreshes in between. 1 MiB of video memory (vgamem_mb's
// minimum), so that DISPI modes run past it. A crash, a sanitizer report or a dirty rectangle
// outside the surface is a bug.
//
// One device serves every input (a new one per input cost a memfd, its mapping, page faults on
// the video memory and a 1.2 MiB surface each time, most of an input's time): before each input
// StdVga::reset() puts the VGA function back to power-on and the harness writes back the four
// configuration registers an input can change, then checks that all 256 bytes of configuration
// space are as after PciRoot::add_device. An input runs the same first or after a million others.
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

    // Before each input: the dirty log's pattern from its start.
    void start_input() { m_dirty = 1; }

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

// The configuration registers an input writes (case 10 below): command, BAR0, BAR2, ROM.
constexpr std::array<uint16_t, 4> k_written_registers { 0x04, 0x10, 0x18, 0x30 };

using ConfigSpace = std::array<uint8_t, 256>;

// The device on its PCI root, made once per process.
struct Rig {
    Rig()
    {
        auto created = StdVga::create(kvm, kvm, StdVgaConfig { 1 << 20, std::vector<uint8_t>(3000, 0x55) });
        if (!created)
            __builtin_trap();
        vga = *created;
        if (!root.add_device(vga, 2))
            __builtin_trap();
        power_on = config();
    }
    ConfigSpace config()
    {
        ConfigSpace space {};
        for (uint16_t offset = 0; offset < space.size(); offset += 4)
            root.config_read(2, 0, offset, std::span(space).subspan(offset, 4));
        return space;
    }
    // Back to the state after add_device: decoding off (the BARs leave the buses), the BAR and
    // ROM registers as they were, then the command register, which maps them again.
    void reset()
    {
        std::array<uint8_t, 4> off {};
        root.config_write(2, 0, pci::k_command, off);
        for (uint16_t reg : k_written_registers) {
            if (reg != pci::k_command)
                root.config_write(2, 0, reg, std::span(power_on).subspan(reg, 4));
        }
        root.config_write(2, 0, pci::k_command, std::span(power_on).subspan(pci::k_command, 4));
        if (config() != power_on)
            __builtin_trap(); // an input changed configuration space the reset does not restore
        vga->reset();
        surface.clear(); // a new consumer's: no size (the buffer stays for the next resize)
        kvm.start_input();
    }

    FakeKvm kvm;
    Bus mmio { "mmio" };
    Bus pio { "pio" };
    PciRoot root { mmio, pio,
        PciWindows { .mmio32_start = 0xc000'0000, .mmio32_end = 0xfec0'0000, .io_start = 0xc000, .io_end = 0x10000 },
        [](uint8_t) {} };
    std::shared_ptr<StdVga> vga;
    DisplaySurface surface; // the consumer's, which the device draws into
    ConfigSpace power_on {};
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static Rig rig;
    rig.reset();
    StdVga* vga = rig.vga.get();
    Bus& mmio = rig.mmio;
    PciRoot& root = rig.root;

    Input in { data, size };
    DisplaySurface& surface = rig.surface;
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
            uint16_t reg = k_written_registers[in.take(1) % k_written_registers.size()];
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
