#pragma once
// ACPI fixed-hardware PM1a registers (ACPI 6.4 §4.8.3.1-4.8.3.2): the event block (PM1_STS
// and PM1_EN, 2 bytes each) and the control block (PM1_CNT). Enough for the OS to power the
// machine off (SLP_TYP = S5 with SLP_EN) and for a fixed-feature power button that raises
// the SCI. ACPI is always on (the FADT's SMI_CMD is 0), so SCI_EN always reads 1. There is
// no PM timer, no sleep state but S5, and no PM1b block.
//
// Offsets: 0-3 = event block, 4-5 = control block, the spacing of pc::k_pm1a_event_port and
// pc::k_pm1a_control_port. Register event_block() at the event port with length 4 and
// control_block() at the control port with length 2 (or this object at the event port with
// length 6, since the two are adjacent in the pc layout).
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "bus/bus_device.h"
#include "bus/interrupt.h"

namespace vireo {

class AcpiPm final : public BusDevice, public std::enable_shared_from_this<AcpiPm> {
public:
    static constexpr uint64_t k_event_offset = 0;
    static constexpr uint64_t k_event_length = 4;
    static constexpr uint64_t k_control_offset = 4;
    static constexpr uint64_t k_control_length = 2;

    // sci is the SCI (pc::k_sci_irq); shutdown is called (from a vCPU thread, without the
    // device's lock) when the guest enters S5.
    AcpiPm(InterruptLine& sci, std::function<void()> shutdown);

    // Bus adapters for the two blocks; the AcpiPm must be owned by a shared_ptr.
    std::shared_ptr<BusDevice> event_block();
    std::shared_ptr<BusDevice> control_block();

    // A press of the fixed-feature power button (e.g. QMP system_powerdown): sets
    // PWRBTN_STS, which raises the SCI if the OS enabled PWRBTN_EN. The FADT must not set
    // the PWR_BUTTON flag (ACPI 6.4 §4.8.2.2.1).
    void press_power_button();

    // Back to the power-on state (machine reset).
    void reset();

    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    void update_sci();

    InterruptLine& m_sci;
    std::function<void()> m_shutdown;

    std::mutex m_lock;
    uint16_t m_status = 0;
    uint16_t m_enable = 0;
    uint16_t m_control = 0; // without SLP_EN, which is write-only
    bool m_sci_level = false;
};

} // namespace vireo
