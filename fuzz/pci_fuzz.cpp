// libFuzzer target for PCI configuration space and MSI-X: a PCI root (configuration mechanism
// #1 at 0xcf8/0xcfc, PCI Local Bus 3.0 §3.2.2.3.2) with its host bridge and two virtio-pci
// functions (entropy and console, each with a memory BAR holding the virtio structures and the
// MSI-X table and PBA, and an I/O BAR for notifications) over 64 KiB of guest RAM. The input is
// a program of address/data port accesses of every width, direct configuration accesses to any
// slot and function, MMIO and port accesses inside and around the BARs wherever the guest moved
// them (sizing writes of all-ones included), queue notifications and resets.
// Bugs: a crash or sanitizer report; a function's vendor or device id changing (read-only,
// §6.2.1); a BAR decoded at an address that is not a multiple of its size (§6.2.5.1: the
// size's low bits are hardwired to zero); an MSI route for a GSI never allocated.
//
// Each step: one opcode byte, then its operands (missing bytes read as zero).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>

#include "bus/bus.h"
#include "device_fuzz_support.h"
#include "devices/pci/pci_root.h"
#include "devices/virtio/console/virtio_console.h"
#include "devices/virtio/rng/virtio_rng.h"
#include "devices/virtio/virtio_pci.h"
#include "fuzz_guest_memory.h"
#include "memory/guest_memory.h"

using namespace vireo;

namespace {

constexpr uint64_t k_ram = 64 * 1024;
constexpr PciWindows k_windows { .mmio32_start = 0xc000'0000, .mmio32_end = 0xfec0'0000, .io_start = 0xc000,
    .io_end = 0x10000 };
constexpr uint16_t k_config_address_port = 0xcf8;

class NullConsole final : public ConsoleBackend {
public:
    void write(std::span<const uint8_t>) override { }
};

struct Function {
    std::shared_ptr<VirtioPciDevice> device;
    uint8_t slot = 0;
    uint16_t device_id = 0;
};

struct BarAddress {
    uint64_t address;
    bool io;
};

// An address inside or just around one of the function's BARs, wherever the guest placed it.
std::optional<BarAddress> address_in_bar(PciDevice& device, uint8_t selector, uint32_t offset)
{
    int bar = selector % pci::k_bar_count;
    auto info = device.bar_info(bar);
    auto mapping = device.bar_mapping(bar);
    if (!mapping || info.size == 0)
        return std::nullopt;
    // mostly inside the BAR; sometimes a few bytes before or after it
    uint64_t span = info.size + 16;
    return BarAddress { *mapping + (offset % span) - 8, info.kind == BarKind::Io };
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    GuestMemory& memory = fuzz::zeroed_guest_memory<k_ram>();

    fuzz::Reader in(data, size);
    Bus mmio("mmio");
    Bus pio("pio");
    auto line = std::make_shared<fuzz::LevelLine>();
    int resets = 0;
    // Before the root, so it goes after the functions: a function whose MSI-X vector has an
    // irqfd attached detaches it from the router as it goes (as the machine's KVM VM outlives
    // its PCI root).
    fuzz::CountingMsiRouter router;
    PciRoot root(mmio, pio, k_windows, [&](uint8_t) { ++resets; }, [&](uint8_t) { return IntxRoute { line, 11 }; });
    if (!root.attach_ports())
        __builtin_trap();
    std::array<Function, 2> functions;
    std::shared_ptr<VirtioDevice> devices[2] = { std::make_shared<VirtioRng>(),
        std::make_shared<VirtioConsole>(std::make_shared<NullConsole>()) };
    for (size_t i = 0; i < functions.size(); ++i) {
        auto device = VirtioPciDevice::create(devices[i], memory, router, nullptr, nullptr);
        if (!device)
            __builtin_trap();
        functions[i].device = *device;
        functions[i].slot = root.add_device(*device).value();
        functions[i].device_id = static_cast<uint16_t>((*device)->config_value(pci::k_device_id, 2));
    }

    for (size_t step = 0; step < 256 && !in.done(); ++step) {
        uint8_t op = in.byte();
        Function& function = functions[(op >> 7) & 1];
        std::array<uint8_t, 8> bytes {};
        size_t width = fuzz::access_width(op >> 5);
        switch (op % 10) {
        case 0: { // CONFIG_ADDRESS: enable, bus 0, a slot (often one in use), function, register
            uint8_t selector = in.byte();
            uint8_t slot = selector & 0x80 ? in.byte() & 31 : function.slot;
            uint32_t address = (selector & 0x40 ? 0 : 0x8000'0000u) | uint32_t { slot } << 11
                | uint32_t { in.byte() & 7u } << 8 | in.byte();
            if (selector & 0x20)
                address |= uint32_t { in.byte() } << 16; // another bus, or reserved bits
            std::memcpy(bytes.data(), &address, 4);
            root.port_write(0, std::span<const uint8_t>(bytes).first(4));
            break;
        }
        case 1: { // CONFIG_DATA write at 0xcfc-0xcff (or a narrow write to 0xcf8-0xcfb)
            uint64_t offset = in.byte() % 8;
            for (size_t i = 0; i < width; ++i)
                bytes[i] = in.byte();
            width = std::min<size_t>(width, 8 - offset);
            pio.write(k_config_address_port + offset, std::span<const uint8_t>(bytes).first(width));
            break;
        }
        case 2: {
            uint64_t offset = in.byte() % 8;
            width = std::min<size_t>(width, 8 - offset);
            pio.read(k_config_address_port + offset, std::span(bytes).first(width));
            break;
        }
        case 3: { // a direct configuration write, as the root hands it to a function
            uint16_t offset = in.byte();
            for (size_t i = 0; i < width; ++i)
                bytes[i] = in.byte();
            width = std::min<size_t>(width, 256 - offset);
            if (op & 0x10) { // a BAR or the ROM sized with all-ones
                offset = static_cast<uint16_t>(pci::k_bar0 + 4 * (in.byte() % 7));
                width = 4;
                bytes.fill(0xff);
                if (offset == pci::k_bar0 + 4 * pci::k_bar_count)
                    offset = pci::k_expansion_rom;
            }
            root.config_write(function.slot, 0, offset, std::span<const uint8_t>(bytes).first(width));
            break;
        }
        case 4: {
            uint16_t offset = in.byte();
            width = std::min<size_t>(width, 256 - offset);
            root.config_read(in.byte() & 31, in.byte() & 7, offset, std::span(bytes).first(width));
            break;
        }
        case 5: // an MMIO or port write inside a BAR (the virtio structures, the MSI-X table)
        case 6: {
            auto address = address_in_bar(*function.device, in.byte(), in.u32());
            for (size_t i = 0; i < width; ++i)
                bytes[i] = in.byte();
            if (!address)
                break;
            Bus& bus = address->io ? pio : mmio;
            if (op % 10 == 5)
                bus.write(address->address, std::span<const uint8_t>(bytes).first(width));
            else
                bus.read(address->address, std::span(bytes).first(width));
            break;
        }
        case 7: { // an access at an address of the guest's choosing in the 32-bit MMIO window
            uint64_t address = k_windows.mmio32_start + in.u32() % (k_windows.mmio32_end - k_windows.mmio32_start);
            if (op & 0x10)
                mmio.write(address, std::span<const uint8_t>(bytes).first(width));
            else
                mmio.read(address, std::span(bytes).first(width));
            break;
        }
        case 8: // the event loop runs a queue's handler
            function.device->handle_notify(static_cast<uint16_t>(in.byte() % 2));
            if (auto* msix = function.device->msix())
                msix->signal(static_cast<uint16_t>(in.byte() % msix->vector_count()));
            break;
        default:
            function.device->reset();
            break;
        }
        for (const auto& checked : functions) {
            if (checked.device->config_value(pci::k_vendor_id, 2) != 0x1af4
                || checked.device->config_value(pci::k_device_id, 2) != checked.device_id)
                __builtin_trap();
            for (int bar = 0; bar < pci::k_bar_count; ++bar) {
                auto info = checked.device->bar_info(bar);
                auto mapping = checked.device->bar_mapping(bar);
                if (mapping && info.size && *mapping % info.size != 0)
                    __builtin_trap();
            }
        }
    }
    (void)resets;
    return 0;
}
