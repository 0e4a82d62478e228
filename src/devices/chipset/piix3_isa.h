#pragma once
// The PIIX3 PCI-to-ISA bridge at 00:01.0 (8086:7000, class 0x0601), function 0 of the
// multi-function PIIX3 (IDE is 01.1, power management 01.3), as on QEMU's `pc`. Firmware
// programs its PIRQ route control registers (0x60-0x63) and reads the rest back; the ISA
// devices themselves (PIC, PIT, RTC, keyboard) are separate, and the PICs' ELCR (ports
// 0x4d0-0x4d1) is the in-kernel PIC's.
#include <array>
#include <functional>
#include <optional>

#include "devices/pci/pci_device.h"

namespace vireo {

class Piix3Isa final : public PciDevice {
public:
    static constexpr uint16_t k_pirq_route = 0x60; // PIRQRC[A-D], bit 7 = disabled
    // Called with the four PIRQ routes (ISA IRQ 3-15, or nothing) after the guest changed one.
    using PirqHook = std::function<void(std::array<std::optional<uint8_t>, 4>)>;

    explicit Piix3Isa(PirqHook on_pirq = {});

    [[nodiscard]] bool uses_pci_intx() const override { return false; }
    // PIRQ n's ISA IRQ as the guest routed it.
    [[nodiscard]] std::array<std::optional<uint8_t>, 4> pirq_routes() const;

protected:
    void bar_read(int, uint64_t, std::span<uint8_t> data) override { std::ranges::fill(data, 0xff); }
    void bar_write(int, uint64_t, std::span<const uint8_t>) override { }
    void config_written(uint16_t offset, size_t size) override;

private:
    static std::array<std::optional<uint8_t>, 4> decode_routes(uint32_t registers);
    PirqHook m_on_pirq;
};

} // namespace vireo
