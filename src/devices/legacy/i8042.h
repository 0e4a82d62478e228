#pragma once
// Enough of an Intel 8042 keyboard controller with an AT keyboard (IRQ 1) and a PS/2 mouse on
// its auxiliary port (IRQ 12) for Linux's i8042, atkbd and psmouse, for firmware, and for the
// "pulse reset line" reboot (command 0xFE). Keys and mouse motion come from a front end (VNC)
// through Ps2Input, on another thread than the vCPUs': one lock guards the controller.
//
// Offsets: 0 = data port (0x60), 4 = status/command port (0x64), the same spacing as the
// ports. Don't register 0x60-0x64 as one range: 0x61 (port B) belongs to KVM's in-kernel PIT.
// Register data_port() at 0x60 length 1 and command_port() at 0x64 length 1.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "bus/bus_device.h"
#include "bus/interrupt.h"
#include "devices/legacy/ps2_input.h"
#include "devices/legacy/ps2_mouse.h"

namespace vireo {

class I8042 final : public BusDevice, public Ps2Input, public std::enable_shared_from_this<I8042> {
public:
    static constexpr uint64_t k_data_offset = 0;
    static constexpr uint64_t k_command_offset = 4;

    // keyboard_irq is ISA IRQ 1, aux_irq ISA IRQ 12; reset is called (from a vCPU thread,
    // without the controller's lock) when the guest pulses the reset line.
    I8042(InterruptLine& keyboard_irq, InterruptLine& aux_irq, std::function<void()> reset);

    // Bus adapters for port 0x60 and port 0x64; the I8042 must be owned by a shared_ptr.
    std::shared_ptr<BusDevice> data_port();
    std::shared_ptr<BusDevice> command_port();

    // Queues keyboard bytes (scan codes in the set the guest sees, i.e. set 1 while the
    // command byte's translate bit is on). Dropped while the keyboard is disabled or the
    // buffer is full; returns how many were queued.
    size_t inject_keyboard_bytes(std::span<const uint8_t> bytes);

    // Ps2Input: a key in the keyboard's scan code set, translated to set 1 by the controller
    // when its translate bit is on; mouse motion as PS/2 packets on the aux port. Dropped while
    // the device is disabled or the buffer has no room for the whole key or packet.
    void key_event(PcKey key, bool down) override;
    void mouse_event(int32_t dx, int32_t dy, int32_t dz, uint8_t buttons) override;

    // Back to the power-on state (machine reset).
    void reset();

    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    enum class Source : uint8_t { Keyboard, Aux };
    // What the next byte written to the data port means.
    enum class Pending : uint8_t {
        None,
        ControllerRam,   // 0x60-0x7F: write controller RAM byte (0 = command byte)
        OutputPort,      // 0xD1
        KeyboardBuffer,  // 0xD2
        AuxBuffer,       // 0xD3
        AuxDevice,       // 0xD4: to the mouse
        KeyboardArgument // argument of a keyboard command (0xED, 0xF0, 0xF3)
    };

    uint8_t read_data();
    uint8_t read_status() const;
    // Return true when the guest asked for a system reset.
    bool write_command(uint8_t command);
    bool write_data(uint8_t value);
    void keyboard_command(uint8_t command);
    void keyboard_argument(uint8_t value);
    void push(uint8_t value, Source source);
    void update_interrupt();
    void reset_locked();

    [[nodiscard]] size_t free_space() const { return k_queue_size - m_queue_count; }

    InterruptLine& m_irq;
    InterruptLine& m_aux_irq;
    std::function<void()> m_reset;

    std::mutex m_lock;
    static constexpr size_t k_queue_size = 16;
    struct Output {
        uint8_t value;
        Source source;
    };
    std::array<Output, k_queue_size> m_queue {};
    size_t m_queue_head = 0;
    size_t m_queue_count = 0;
    uint8_t m_last_output = 0;
    std::array<uint8_t, 32> m_ram {}; // controller RAM; byte 0 is the command byte
    uint8_t m_output_port = 0;
    Pending m_pending = Pending::None;
    uint8_t m_pending_ram_index = 0;
    uint8_t m_keyboard_command = 0; // the keyboard command waiting for its argument
    bool m_last_write_was_command = false;
    bool m_keyboard_scanning = true;
    uint8_t m_scancode_set = 2;
    bool m_irq_level = false;
    bool m_aux_irq_level = false;
    Ps2Mouse m_mouse;
};

} // namespace vireo
