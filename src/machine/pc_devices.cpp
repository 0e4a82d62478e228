// PcMachine: the legacy PC devices on the port I/O bus, and the serial ports' back ends.
#include <fcntl.h>
#include <unistd.h>

#include "char/fd_output.h"
#include "devices/legacy/acpi_pm.h"
#include "devices/legacy/cmos_rtc.h"
#include "devices/legacy/debug_port.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/reset_control.h"
#include "devices/legacy/serial_16550.h"
#include "machine/console_input.h"
#include "machine/pc_layout.h"
#include "machine/pc_machine.h"

namespace vireo {

namespace {

// COM1-COM4 as on a PC: ports and ISA IRQs.
struct ComPort {
    uint16_t port;
    uint8_t irq;
};
constexpr ComPort k_com_ports[] = { { pc::k_com1_port, pc::k_com1_irq }, { 0x2f8, 3 }, { 0x3e8, 4 }, { 0x2e8, 3 } };

constexpr uint16_t k_rtc_port = 0x70;
constexpr uint16_t k_i8042_data_port = 0x60;
constexpr uint16_t k_i8042_command_port = 0x64;
constexpr uint8_t k_keyboard_irq = 1;
constexpr uint16_t k_system_control_a_port = 0x92;
constexpr uint16_t k_post_code_port = 0x80;

} // namespace

Result<void> PcMachine::create_devices()
{
    TRY(create_legacy_devices());
    TRY(create_serial_ports());
    TRY(create_pci_devices());
    return {};
}

Result<void> PcMachine::create_legacy_devices()
{
    auto keyboard_reset = [this] { request_stop(StopReason::Reset, "i8042 reset command"); };
    auto port_a_reset = [this] { request_stop(StopReason::Reset, "port 0x92 reset"); };

    CmosConfig cmos;
    for (const auto& region : m_memory.regions())
        (region.start < pc::k_high_ram_start ? cmos.low_ram_bytes : cmos.high_ram_bytes) += region.size;
    cmos.cpu_count = m_config.smp.cpus;
    auto rtc = std::make_shared<CmosRtc>(cmos);
    TRY(m_pio.insert(rtc, k_rtc_port, 2));
    keep(rtc);

    auto i8042 = std::make_shared<I8042>(irq_line(k_keyboard_irq), keyboard_reset);
    TRY(m_pio.insert(i8042->data_port(), k_i8042_data_port, 1));
    TRY(m_pio.insert(i8042->command_port(), k_i8042_command_port, 1));
    keep(i8042);

    auto pm = std::make_shared<AcpiPm>(irq_line(pc::k_sci_irq), [this] { request_stop(StopReason::PowerOff); });
    TRY(m_pio.insert(pm->event_block(), pc::k_pm1a_event_port, 4));
    TRY(m_pio.insert(pm->control_block(), pc::k_pm1a_control_port, 2));
    m_acpi_pm = pm.get(); // system_powerdown presses its button
    keep(pm);

    auto port_a = std::make_shared<SystemControlPortA>(port_a_reset);
    TRY(m_pio.insert(port_a, k_system_control_a_port, 1));
    keep(port_a);

    // Linux writes port 0x80 as an I/O delay: answer it without a warning.
    auto post = std::make_shared<DebugPortSink>();
    TRY(m_pio.insert(post, k_post_code_port, 1));
    keep(post);
    return {};
}

Result<void> PcMachine::create_serial_ports()
{
    std::vector<SerialConfig> serials = m_config.serials;
    if (serials.empty())
        serials.push_back(SerialConfig { m_config.nographic ? SerialBackend::MonStdio : SerialBackend::None, {} });
    if (serials.size() > std::size(k_com_ports))
        return make_error("-serial: at most {} serial ports", std::size(k_com_ports));

    bool stdin_taken = false;
    for (size_t index = 0; index < serials.size(); ++index) {
        const auto& serial = serials[index];
        if (serial.backend == SerialBackend::None)
            continue;
        std::shared_ptr<SerialOutput> output;
        switch (serial.backend) {
        case SerialBackend::Stdio:
        case SerialBackend::MonStdio:
            output = std::make_shared<FdSerialOutput>(STDOUT_FILENO);
            break;
        case SerialBackend::File: {
            int fd = ::open(serial.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0)
                return errno_error("-serial file:{}", serial.path);
            output = std::make_shared<FdSerialOutput>(UniqueFd(fd));
            break;
        }
        case SerialBackend::Null:
        case SerialBackend::None:
            output = std::make_shared<NullSerialOutput>();
            break;
        }
        keep(output);
        auto uart = std::make_shared<Serial16550>(irq_line(k_com_ports[index].irq), *output);
        TRY(m_pio.insert(uart, k_com_ports[index].port, Serial16550::k_register_count));
        keep(uart);
        m_state_reporters.push_back([uart = uart.get()] { return uart->describe_state(); });

        bool is_stdio = serial.backend == SerialBackend::Stdio || serial.backend == SerialBackend::MonStdio;
        if (is_stdio && !stdin_taken) {
            stdin_taken = true;
            auto escapes = serial.backend == SerialBackend::MonStdio ? ConsoleInput::Escapes::On
                                                                      : ConsoleInput::Escapes::Off;
            auto input = TRY(ConsoleInput::create(*m_loop, STDIN_FILENO, *uart, escapes,
                [this] { request_stop(StopReason::Quit); }));
            m_console_input = std::shared_ptr<ConsoleInput>(std::move(input));
        }
    }
    return {};
}

} // namespace vireo
