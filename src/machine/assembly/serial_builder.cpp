// COM1-COM4: 16550A UARTs and their back ends (stdout, a file, nothing), the console on stdin
// for the first one on stdio, and the firmware's debug console (-debugcon).
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "char/fd_output.h"
#include "devices/legacy/debug_console.h"
#include "devices/legacy/serial_16550.h"
#include "machine/assembly/builders.h"
#include "machine/console_input.h"
#include "machine/pc_layout.h"

namespace vireo {

namespace {

// COM1-COM4 as on a PC: ports and ISA IRQs.
struct ComPort {
    uint16_t port;
    uint8_t irq;
};
constexpr ComPort k_com_ports[] = { { pc::k_com1_port, pc::k_com1_irq }, { 0x2f8, 3 }, { 0x3e8, 4 }, { 0x2e8, 3 } };

Result<std::shared_ptr<SerialOutput>> serial_output(const SerialConfig& serial)
{
    switch (serial.backend) {
    case SerialBackend::Stdio:
    case SerialBackend::MonStdio:
        return std::make_shared<FdSerialOutput>(STDOUT_FILENO);
    case SerialBackend::File: {
        int fd = ::open(serial.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            return errno_error("-serial file:{}", serial.path);
        return std::make_shared<FdSerialOutput>(UniqueFd(fd));
    }
    case SerialBackend::Null:
    case SerialBackend::None:
        break;
    }
    return std::make_shared<NullSerialOutput>();
}

} // namespace

Result<void> build_serial_ports(MachineParts& parts)
{
    std::vector<SerialConfig> serials = parts.config.serials;
    if (serials.empty() && !parts.config.nodefaults)
        serials.push_back(SerialConfig { parts.config.nographic ? SerialBackend::MonStdio : SerialBackend::None, {} });
    if (serials.size() > std::size(k_com_ports))
        return make_error("-serial: at most {} serial ports", std::size(k_com_ports));

    if (parts.config.debugcon) {
        auto& output = parts.keep(TRY(serial_output(*parts.config.debugcon)));
        auto console = std::make_shared<DebugConsole>(output);
        TRY(parts.pio.insert(console, DebugConsole::k_port, 1, "debugcon"));
        parts.keep(console);
    }

    bool stdin_taken = false;
    for (size_t index = 0; index < serials.size(); ++index) {
        const auto& serial = serials[index];
        if (serial.backend == SerialBackend::None)
            continue;
        auto& output = parts.keep(TRY(serial_output(serial)));
        auto uart = std::make_shared<Serial16550>(parts.irq_line(k_com_ports[index].irq), output);
        TRY(parts.pio.insert(uart, k_com_ports[index].port, Serial16550::k_register_count,
            fmt::format("serial{}", index)));
        parts.keep(uart);
        parts.state_reporters.push_back([uart = uart.get()] { return uart->describe_state(); });

        bool is_stdio = serial.backend == SerialBackend::Stdio || serial.backend == SerialBackend::MonStdio;
        if (is_stdio && !stdin_taken) {
            stdin_taken = true;
            auto escapes = serial.backend == SerialBackend::MonStdio ? ConsoleInput::Escapes::On
                                                                      : ConsoleInput::Escapes::Off;
            auto& control = parts.control;
            auto input = TRY(ConsoleInput::create(parts.loop, STDIN_FILENO, *uart, escapes,
                [&control] { control.request_stop(StopReason::Quit); },
                serial.backend == SerialBackend::MonStdio ? parts.console_monitor : nullptr));
            parts.keep(std::shared_ptr<ConsoleInput>(std::move(input)));
        }
    }
    return {};
}

} // namespace vireo
