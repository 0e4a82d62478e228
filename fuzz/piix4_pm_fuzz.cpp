// libFuzzer target for the PIIX4 power-management function: the ACPI PM1a event and control
// blocks (ACPI 6.4 §4.8.3.1-2), the PM timer (§4.8.3.3) and the function's PCI configuration
// space. The input is a program of register accesses of any width, power-button presses, clock
// moves (backwards too), configuration reads and writes, and resets. Bugs: a crash or sanitizer
// report; the SCI level disagreeing with PM1_STS & PM1_EN (§4.8.3.1: an event raises the SCI
// while its status and enable bits are both set); SLP_EN reading back as 1 (it is write-only,
// §4.8.3.2.1); a shutdown from anything but a write of SLP_EN with SLP_TYP = S5; a timer value
// beyond 24 bits; the function's vendor or device id changing.
//
// Each step: one opcode byte, then its operands (missing bytes read as zero).
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "devices/chipset/piix4_pm.h"
#include "devices/legacy/acpi_pm.h"
#include "devices/legacy/pm_timer.h"
#include "device_fuzz_support.h"
#include "machine/pc_layout.h"

using namespace vireo;

namespace {

constexpr uint64_t k_window = AcpiPm::k_control_offset + AcpiPm::k_control_length;
constexpr uint8_t k_slp_en_high_byte = 0x20; // PM1_CNT bit 13, in the register's second byte

uint16_t read16(AcpiPm& pm, uint64_t offset)
{
    std::array<uint8_t, 2> bytes {};
    pm.read(offset, bytes);
    return static_cast<uint16_t>(bytes[0] | bytes[1] << 8);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::Reader in(data, size);
    fuzz::LevelLine sci;
    int shutdowns = 0;
    auto pm = std::make_shared<AcpiPm>(sci, [&] { ++shutdowns; });
    std::chrono::nanoseconds now { 0 };
    PmTimer timer([&] { return now; });
    Piix4Pm function(pc::k_pm1a_event_port, pc::k_sci_irq);

    for (size_t step = 0; step < 512 && !in.done(); ++step) {
        uint8_t op = in.byte();
        int shutdowns_before = shutdowns;
        bool may_shut_down = false;
        switch (op % 7) {
        case 0:
        case 1: { // a write to the event or control block (as one 6-byte window)
            uint64_t offset = in.byte() % k_window;
            std::array<uint8_t, 4> bytes {};
            size_t width = std::min<size_t>(fuzz::access_width(op >> 3), k_window - offset);
            for (size_t i = 0; i < width; ++i)
                bytes[i] = in.byte();
            for (size_t i = 0; i < width; ++i) {
                if (offset + i == AcpiPm::k_control_offset + 1 && (bytes[i] & k_slp_en_high_byte)
                    && ((bytes[i] >> 2) & 7) == pc::k_s5_sleep_type)
                    may_shut_down = true;
            }
            if (op & 0x80) // through the per-block adapters the machine registers
                (offset < AcpiPm::k_control_offset ? pm->event_block() : pm->control_block())
                    ->write(offset < AcpiPm::k_control_offset ? offset : offset - AcpiPm::k_control_offset,
                        std::span(bytes).first(std::min<size_t>(width,
                            offset < AcpiPm::k_control_offset ? AcpiPm::k_event_length - offset : k_window - offset)));
            else
                pm->write(offset, std::span(bytes).first(width));
            break;
        }
        case 2: { // a read
            uint64_t offset = in.byte() % k_window;
            std::array<uint8_t, 4> bytes {};
            pm->read(offset, std::span(bytes).first(std::min<size_t>(fuzz::access_width(op >> 3), k_window - offset)));
            break;
        }
        case 3:
            pm->press_power_button();
            break;
        case 4: { // the clock moves (any direction), then a timer read
            now += std::chrono::nanoseconds(static_cast<int32_t>(in.u32()));
            uint64_t offset = in.byte() % PmTimer::k_register_length;
            std::array<uint8_t, 4> bytes {};
            timer.read(offset, std::span(bytes).first(std::min<size_t>(fuzz::access_width(op >> 3), PmTimer::k_register_length - offset)));
            if (timer.value() > 0xff'ffff)
                __builtin_trap();
            break;
        }
        case 5: { // PCI configuration access
            uint16_t offset = in.byte();
            std::array<uint8_t, 4> bytes {};
            size_t width = std::min<size_t>(fuzz::access_width(op >> 3), 256 - offset);
            if (op & 0x80) {
                for (size_t i = 0; i < width; ++i)
                    bytes[i] = in.byte();
                function.config_write(offset, std::span<const uint8_t>(bytes).first(width));
            } else {
                function.config_read(offset, std::span(bytes).first(width));
            }
            break;
        }
        default:
            pm->reset();
            break;
        }
        if (shutdowns != shutdowns_before && !may_shut_down)
            __builtin_trap();
        uint16_t status = read16(*pm, 0);
        uint16_t enable = read16(*pm, 2);
        if (sci.level != ((status & enable) != 0))
            __builtin_trap();
        if (read16(*pm, AcpiPm::k_control_offset) & (k_slp_en_high_byte << 8))
            __builtin_trap();
        if (function.config_value(0, 2) != 0x8086 || function.config_value(2, 2) != 0x7113)
            __builtin_trap();
    }
    return 0;
}
