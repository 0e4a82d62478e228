// The legacy ISA devices of a PC on the port I/O bus.
#include <ctime>

#include "devices/legacy/cmos_rtc.h"
#include "devices/legacy/debug_port.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/reset_control.h"
#include "machine/assembly/builders.h"
#include "machine/firmware/boot_config.h"
#include "machine/pc_layout.h"

namespace vireo {

namespace {

constexpr uint16_t k_rtc_port = 0x70;
constexpr uint16_t k_i8042_data_port = 0x60;
constexpr uint16_t k_i8042_command_port = 0x64;
constexpr uint8_t k_keyboard_irq = 1;
constexpr uint8_t k_mouse_irq = 12;
constexpr uint16_t k_system_control_a_port = 0x92;
constexpr uint16_t k_post_code_port = 0x80;

// -rtc base=: the CMOS clock's start as an offset from the host's UTC clock. For localtime it is
// the host's UTC offset now (a reset builds the machine again and so follows a daylight-saving
// change; QEMU's RTC keeps the offset it started with until the guest sets the clock).
std::chrono::seconds rtc_start_offset(const RtcConfig& rtc)
{
    switch (rtc.base) {
    case RtcBase::Utc:
        break;
    case RtcBase::LocalTime: {
        time_t now = ::time(nullptr);
        std::tm local {};
        if (::localtime_r(&now, &local))
            return std::chrono::seconds { local.tm_gmtoff };
        break;
    }
    case RtcBase::Date:
        return std::chrono::seconds { rtc.date_offset_seconds };
    }
    return std::chrono::seconds { 0 };
}

} // namespace

Result<void> build_legacy_devices(MachineParts& parts)
{
    auto& control = parts.control;
    CmosConfig cmos;
    for (const auto& region : parts.memory.regions())
        (region.start < pc::k_high_ram_start ? cmos.low_ram_bytes : cmos.high_ram_bytes) += region.size;
    cmos.cpu_count = parts.config.smp.cpus;
    const auto& boot = parts.config.boot;
    auto order = !boot.once.empty() ? boot.once : !boot.order.empty() ? boot.order : std::string(boot_config::k_default_boot_order);
    auto flags = TRY(boot_config::cmos_boot_flags(order));
    cmos.boot_order_3d = flags.reg_3d;
    cmos.boot_order_38 = flags.reg_38;
    cmos.start_offset = rtc_start_offset(parts.config.rtc);
    auto rtc = std::make_shared<CmosRtc>(cmos);
    TRY(parts.pio.insert(rtc, k_rtc_port, 2, "rtc"));
    parts.keep(rtc);

    auto& keyboard_irq = parts.irq_line(k_keyboard_irq);
    auto& mouse_irq = parts.irq_line(k_mouse_irq);
    auto i8042 = std::make_shared<I8042>(keyboard_irq, mouse_irq,
        [&control] { control.request_stop(StopReason::Reset, "i8042 reset command"); });
    TRY(parts.pio.insert(i8042->data_port(), k_i8042_data_port, 1, "i8042-data"));
    TRY(parts.pio.insert(i8042->command_port(), k_i8042_command_port, 1, "i8042-command"));
    parts.keep(i8042);
    parts.input.set_ps2(i8042.get());

    auto port_a = std::make_shared<SystemControlPortA>(
        [&control] { control.request_stop(StopReason::Reset, "port 0x92 reset"); });
    TRY(parts.pio.insert(port_a, k_system_control_a_port, 1, "port92"));
    parts.keep(port_a);

    // Linux writes port 0x80 as an I/O delay: answer it without a warning.
    auto post = std::make_shared<DebugPortSink>();
    TRY(parts.pio.insert(post, k_post_code_port, 1, "post"));
    parts.keep(post);
    return {};
}

} // namespace vireo
