#include "devices/chipset/piix3_isa.h"

#include "devices/pci/pci_config.h"

namespace vireo {

namespace {

// Power-on values of the registers firmware reads (Intel 82371SB datasheet §2.2).
struct RegisterDefault {
    uint16_t offset;
    uint8_t value;
    uint8_t writable;
};
constexpr RegisterDefault k_defaults[] = {
    { 0x4c, 0x4d, 0xff }, // ISA I/O recovery timer
    { 0x4e, 0x03, 0xff }, // X-bus chip select
    { 0x4f, 0x00, 0xff },
    { 0x60, 0x80, 0x8f }, // PIRQRC[A-D]: routing disabled
    { 0x61, 0x80, 0x8f },
    { 0x62, 0x80, 0x8f },
    { 0x63, 0x80, 0x8f },
    { 0x69, 0x02, 0xff }, // top of memory
    { 0x6a, 0x00, 0xff },
    { 0x70, 0x80, 0xff }, // motherboard IRQ routing
    { 0x71, 0x80, 0xff },
    { 0x76, 0x0c, 0xff }, // motherboard DMA
    { 0x77, 0x0c, 0xff },
    { 0x78, 0x02, 0xff }, // programmable chip select
    { 0x80, 0x00, 0xff }, // APIC base relocation
    { 0x82, 0x00, 0xff }, // deterministic latency
    { 0xa0, 0x08, 0xff }, // SMI control
    { 0xa2, 0x00, 0xff },
    { 0xa3, 0x00, 0xff },
    { 0xa4, 0x00, 0xff },
    { 0xa5, 0x00, 0xff },
    { 0xa6, 0x00, 0xff },
    { 0xa7, 0x00, 0xff },
    { 0xa8, 0x0f, 0xff },
    { 0xaa, 0x00, 0xff },
    { 0xab, 0x00, 0xff },
    { 0xac, 0x00, 0xff },
    { 0xae, 0x00, 0xff },
};

} // namespace

Piix3Isa::Piix3Isa(PirqHook on_pirq)
    : PciDevice(PciIds { .vendor = 0x8086, .device = 0x7000, .class_code = 0x06'01'00 })
    , m_on_pirq(std::move(on_pirq))
{
    init_config(pci::k_header_type, 0x80, 1); // multi-function: IDE and PM follow
    for (const auto& reg : k_defaults) {
        init_config(reg.offset, reg.value, 1);
        mark_writable(reg.offset, reg.writable);
    }
}

std::array<std::optional<uint8_t>, 4> Piix3Isa::decode_routes(uint32_t registers)
{
    std::array<std::optional<uint8_t>, 4> routes {};
    for (size_t pin = 0; pin < routes.size(); ++pin) {
        auto value = static_cast<uint8_t>(registers >> (8 * pin));
        uint8_t irq = value & 0x0f;
        // Bit 7 disables the route; IRQ 0-2, 8 and 13 are reserved values (82371SB §2.2.10).
        if (!(value & 0x80) && irq >= 3 && irq != 8 && irq != 13)
            routes[pin] = irq;
    }
    return routes;
}

std::array<std::optional<uint8_t>, 4> Piix3Isa::pirq_routes() const
{
    return decode_routes(config_value(k_pirq_route, 4));
}

void Piix3Isa::config_written(uint16_t offset, size_t size)
{
    if (m_on_pirq && offset < k_pirq_route + 4 && offset + size > k_pirq_route)
        m_on_pirq(decode_routes(config_value_locked(k_pirq_route, 4)));
}

} // namespace vireo
