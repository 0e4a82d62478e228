#include "devices/legacy/acpi_pm.h"

#include "base/log.h"
#include "devices/legacy/port_window.h"
#include "machine/pc_layout.h"

namespace vireo {

namespace {

// PM1 status/enable bits (ACPI 6.4 Tables 4.16 and 4.17).
constexpr uint16_t k_timer = 1 << 0;
constexpr uint16_t k_global = 1 << 5;
constexpr uint16_t k_power_button = 1 << 8;
constexpr uint16_t k_sleep_button = 1 << 9;
constexpr uint16_t k_rtc = 1 << 10;
constexpr uint16_t k_sci_events = k_timer | k_global | k_power_button | k_sleep_button | k_rtc;

// PM1 control bits (ACPI 6.4 Table 4.18).
constexpr uint16_t k_sci_enable = 1 << 0;
constexpr unsigned k_sleep_type_shift = 10;
constexpr uint16_t k_sleep_type_mask = 0x7 << k_sleep_type_shift;
constexpr uint16_t k_sleep_enable = 1 << 13;

uint8_t byte_of(uint16_t value, uint64_t index)
{
    return static_cast<uint8_t>(value >> (8 * index));
}

void set_byte(uint16_t& value, uint64_t index, uint8_t byte)
{
    unsigned shift = static_cast<unsigned>(8 * index);
    value = static_cast<uint16_t>((value & ~(0xff << shift)) | (byte << shift));
}

} // namespace

AcpiPm::AcpiPm(InterruptLine& sci, std::function<void()> shutdown)
    : m_sci(sci)
    , m_shutdown(std::move(shutdown))
{
}

std::shared_ptr<BusDevice> AcpiPm::event_block()
{
    return std::make_shared<PortWindow>(shared_from_this(), k_event_offset);
}

std::shared_ptr<BusDevice> AcpiPm::control_block()
{
    return std::make_shared<PortWindow>(shared_from_this(), k_control_offset);
}

void AcpiPm::press_power_button()
{
    std::lock_guard guard(m_lock);
    m_status |= k_power_button;
    update_sci();
}

void AcpiPm::reset()
{
    std::lock_guard guard(m_lock);
    m_status = 0;
    m_enable = 0;
    m_control = 0;
    update_sci();
}

void AcpiPm::update_sci()
{
    // The SCI is a level: asserted while an enabled fixed event's status bit is set.
    bool level = (m_status & m_enable & k_sci_events) != 0;
    if (level != m_sci_level) {
        m_sci_level = level;
        m_sci.set_level(level);
    }
}

void AcpiPm::read(uint64_t offset, std::span<uint8_t> data)
{
    std::lock_guard guard(m_lock);
    for (size_t i = 0; i < data.size(); ++i) {
        uint64_t reg = offset + i;
        if (reg < 2)
            data[i] = byte_of(m_status, reg);
        else if (reg < k_event_length)
            data[i] = byte_of(m_enable, reg - 2);
        else if (reg < k_control_offset + k_control_length)
            data[i] = byte_of(m_control | k_sci_enable, reg - k_control_offset);
        else
            data[i] = 0xff;
    }
}

void AcpiPm::write(uint64_t offset, std::span<const uint8_t> data)
{
    bool sleep = false;
    uint16_t control = 0;
    {
        std::lock_guard guard(m_lock);
        control = m_control;
        for (size_t i = 0; i < data.size(); ++i) {
            uint64_t reg = offset + i;
            if (reg < 2) {
                // PM1_STS: write 1 to clear (ACPI 6.4 §4.8.3.1.1).
                m_status &= static_cast<uint16_t>(~(data[i] << (8 * reg)));
            } else if (reg < k_event_length) {
                set_byte(m_enable, reg - 2, data[i]);
            } else if (reg < k_control_offset + k_control_length) {
                set_byte(control, reg - k_control_offset, data[i]);
                if (reg == k_control_offset + 1 && (data[i] & (k_sleep_enable >> 8)))
                    sleep = true;
            }
        }
        m_control = static_cast<uint16_t>(control & ~k_sleep_enable);
        update_sci();
    }
    if (!sleep)
        return;
    unsigned sleep_type = (control & k_sleep_type_mask) >> k_sleep_type_shift;
    if (sleep_type == pc::k_s5_sleep_type) {
        if (m_shutdown)
            m_shutdown();
        return;
    }
    VIREO_GUEST_WARN("acpi: sleep type {} requested; only S5 (type {}) is supported, ignored", sleep_type,
        pc::k_s5_sleep_type);
}

} // namespace vireo
