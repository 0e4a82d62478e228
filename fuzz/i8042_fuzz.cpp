// libFuzzer target for the 8042 keyboard controller with its AT keyboard and the PS/2 mouse on
// the auxiliary port: the input is a program of data-port (0x60) and command-port (0x64)
// accesses through the adapters the machine registers, keys and mouse motion from the front
// end, and resets. Controller commands, keyboard commands and their arguments, and mouse
// commands (0xD4 then a byte: IBM PS/2 mouse and IntelliMouse) all come from the input.
// Bugs: a crash or sanitizer report; the reset hook called other than from a guest write that
// pulses the reset line low (command 0xF0-0xFF with bit 0 clear, or 0xD1 then an output-port
// byte with bit 0 clear); IRQ 1 and IRQ 12 high at once (the controller has one output buffer,
// which holds a keyboard byte or an auxiliary byte); status AUX_DATA without OUTPUT_FULL.
//
// Each step: one opcode byte, then its operands (missing bytes read as zero).
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "devices/legacy/i8042.h"
#include "device_fuzz_support.h"

using namespace vireo;

namespace {

constexpr uint8_t k_status_output_full = 0x01;
constexpr uint8_t k_status_aux_data = 0x20;
constexpr uint8_t k_cmd_write_output_port = 0xd1;
constexpr uint8_t k_cmd_write_aux = 0xd4;

// Bytes that make interesting programs likely: controller commands, then keyboard and mouse
// commands (the rest of the byte's range is reached through the raw opcodes).
constexpr uint8_t k_commands[] = { 0x20, 0x60, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xad, 0xae, 0xc0, 0xd0,
    k_cmd_write_output_port, 0xd2, 0xd3, k_cmd_write_aux, 0xdd, 0xdf, 0xe0, 0xfe };
constexpr uint8_t k_device_commands[] = { 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xf0, 0xf2,
    0xf3, 0xf4, 0xf5, 0xf6, 0xfe, 0xff };

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::Reader in(data, size);
    fuzz::LevelLine keyboard_irq;
    fuzz::LevelLine aux_irq;
    bool reset_allowed = false;
    auto controller = std::make_shared<I8042>(keyboard_irq, aux_irq, [&] {
        if (!reset_allowed)
            __builtin_trap();
    });
    auto data_port = controller->data_port();
    auto command_port = controller->command_port();
    bool output_port_next = false; // the last command byte was 0xD1

    for (size_t step = 0; step < 512 && !in.done(); ++step) {
        uint8_t op = in.byte();
        switch (op % 8) {
        case 0: { // a command byte, from the table or raw
            uint8_t command = op & 0x80 ? in.byte() : k_commands[in.byte() % std::size(k_commands)];
            reset_allowed = command >= 0xf0 && !(command & 1);
            command_port->write(0, std::span<const uint8_t>(&command, 1));
            output_port_next = command == k_cmd_write_output_port;
            break;
        }
        case 1: { // a data byte, raw
            uint8_t value = in.byte();
            reset_allowed = output_port_next && !(value & 1);
            data_port->write(0, std::span<const uint8_t>(&value, 1));
            output_port_next = false;
            break;
        }
        case 2: { // a command to the mouse (0xD4, then the byte)
            std::array<uint8_t, 2> bytes { k_cmd_write_aux, k_device_commands[in.byte() % std::size(k_device_commands)] };
            if (op & 0x80)
                bytes[1] = in.byte();
            reset_allowed = false;
            command_port->write(0, std::span<const uint8_t>(&bytes[0], 1));
            data_port->write(0, std::span<const uint8_t>(&bytes[1], 1));
            output_port_next = false;
            break;
        }
        case 3: { // a command to the keyboard (a data byte with no controller command pending)
            uint8_t value = k_device_commands[in.byte() % std::size(k_device_commands)];
            reset_allowed = output_port_next && !(value & 1);
            data_port->write(0, std::span<const uint8_t>(&value, 1));
            output_port_next = false;
            break;
        }
        case 4:
        case 5: { // reads: data or status, 1 or 2 bytes wide (a wide access reaches only its own port)
            std::array<uint8_t, 2> bytes {};
            size_t width = op & 0x80 ? 2 : 1;
            (op & 0x40 ? command_port : data_port)->read(0, std::span(bytes).first(width));
            break;
        }
        case 6: { // the front end: a key or mouse motion
            reset_allowed = false;
            if (op & 0x80) {
                controller->key_event(PcKey { in.byte(), bool(op & 0x40) }, op & 0x20);
            } else {
                auto dx = static_cast<int32_t>(in.u32());
                auto dy = static_cast<int32_t>(in.u16()) - 0x8000;
                auto dz = static_cast<int8_t>(in.byte());
                controller->mouse_event(dx, dy, dz, in.byte() & 7);
            }
            if (op & 0x10) {
                std::vector<uint8_t> bytes(in.byte() % 20, in.byte());
                (void)controller->inject_keyboard_bytes(bytes);
            }
            break;
        }
        default:
            reset_allowed = false;
            controller->reset();
            output_port_next = false;
            break;
        }
        reset_allowed = false;
        if (keyboard_irq.level && aux_irq.level)
            __builtin_trap();
        uint8_t status = 0;
        command_port->read(0, std::span(&status, 1));
        if ((status & k_status_aux_data) && !(status & k_status_output_full))
            __builtin_trap();
    }
    return 0;
}
