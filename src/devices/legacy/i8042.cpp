#include "devices/legacy/i8042.h"

#include "base/log.h"
#include "devices/legacy/port_window.h"
#include "devices/legacy/ps2_scancodes.h"

namespace vireo {

namespace {

// Status register (port 0x64 read).
constexpr uint8_t k_status_output_full = 0x01;
constexpr uint8_t k_status_system_flag = 0x04;
constexpr uint8_t k_status_last_was_command = 0x08;
constexpr uint8_t k_status_not_inhibited = 0x10; // keyboard lock switch open
constexpr uint8_t k_status_aux_data = 0x20;

// Command byte (controller RAM byte 0).
constexpr uint8_t k_ctr_keyboard_interrupt = 0x01;
constexpr uint8_t k_ctr_aux_interrupt = 0x02;
constexpr uint8_t k_ctr_system_flag = 0x04;
constexpr uint8_t k_ctr_keyboard_disabled = 0x10;
constexpr uint8_t k_ctr_aux_disabled = 0x20;
constexpr uint8_t k_ctr_translate = 0x40;
constexpr uint8_t k_ctr_power_on = k_ctr_keyboard_interrupt | k_ctr_system_flag | k_ctr_aux_disabled | k_ctr_translate;

// Output port (commands 0xD0/0xD1): bit 0 is the CPU reset line (active low), bit 1 the A20 gate.
constexpr uint8_t k_output_port_reset = 0x01;
constexpr uint8_t k_output_port_a20 = 0x02;

// Controller commands (port 0x64 write).
constexpr uint8_t k_cmd_read_ram_first = 0x20;
constexpr uint8_t k_cmd_read_ram_last = 0x3f;
constexpr uint8_t k_cmd_write_ram_first = 0x60;
constexpr uint8_t k_cmd_write_ram_last = 0x7f;
constexpr uint8_t k_cmd_disable_aux = 0xa7;
constexpr uint8_t k_cmd_enable_aux = 0xa8;
constexpr uint8_t k_cmd_test_aux = 0xa9;
constexpr uint8_t k_cmd_self_test = 0xaa;
constexpr uint8_t k_cmd_test_keyboard = 0xab;
constexpr uint8_t k_cmd_disable_keyboard = 0xad;
constexpr uint8_t k_cmd_enable_keyboard = 0xae;
constexpr uint8_t k_cmd_read_input_port = 0xc0;
constexpr uint8_t k_cmd_read_output_port = 0xd0;
constexpr uint8_t k_cmd_write_output_port = 0xd1;
constexpr uint8_t k_cmd_write_keyboard_buffer = 0xd2;
constexpr uint8_t k_cmd_write_aux_buffer = 0xd3;
constexpr uint8_t k_cmd_write_aux = 0xd4;
constexpr uint8_t k_cmd_disable_a20 = 0xdd;
constexpr uint8_t k_cmd_enable_a20 = 0xdf;
constexpr uint8_t k_cmd_read_test_inputs = 0xe0;
constexpr uint8_t k_cmd_pulse_first = 0xf0; // 0xF0-0xFF pulse output port bits 3:0 where 0

constexpr uint8_t k_self_test_ok = 0x55;
constexpr uint8_t k_interface_test_ok = 0x00;

// AT keyboard commands and replies.
constexpr uint8_t k_kbd_set_leds = 0xed;
constexpr uint8_t k_kbd_echo = 0xee;
constexpr uint8_t k_kbd_scancode_set = 0xf0;
constexpr uint8_t k_kbd_identify = 0xf2;
constexpr uint8_t k_kbd_typematic = 0xf3;
constexpr uint8_t k_kbd_enable = 0xf4;
constexpr uint8_t k_kbd_disable = 0xf5;
constexpr uint8_t k_kbd_defaults = 0xf6;
constexpr uint8_t k_kbd_reset = 0xff;
constexpr uint8_t k_kbd_ack = 0xfa;
constexpr uint8_t k_kbd_resend = 0xfe;
constexpr uint8_t k_kbd_self_test_passed = 0xaa;
constexpr uint8_t k_kbd_id_first = 0xab; // MF2 keyboard: 0xAB 0x83
constexpr uint8_t k_kbd_id_second = 0x83;

} // namespace

I8042::I8042(InterruptLine& keyboard_irq, InterruptLine& aux_irq, std::function<void()> reset)
    : m_irq(keyboard_irq)
    , m_aux_irq(aux_irq)
    , m_reset(std::move(reset))
{
    reset_locked();
}

std::shared_ptr<BusDevice> I8042::data_port()
{
    return std::make_shared<PortWindow>(shared_from_this(), k_data_offset);
}

std::shared_ptr<BusDevice> I8042::command_port()
{
    return std::make_shared<PortWindow>(shared_from_this(), k_command_offset);
}

void I8042::reset()
{
    std::lock_guard guard(m_lock);
    reset_locked();
}

void I8042::reset_locked()
{
    m_queue_head = 0;
    m_queue_count = 0;
    m_last_output = 0;
    m_ram.fill(0);
    m_ram[0] = k_ctr_power_on;
    m_output_port = k_output_port_reset | k_output_port_a20;
    m_pending = Pending::None;
    m_keyboard_command = 0;
    m_last_write_was_command = false;
    m_keyboard_scanning = true;
    m_scancode_set = 2;
    m_mouse.reset();
    update_interrupt();
}

void I8042::push(uint8_t value, Source source)
{
    if (m_queue_count == k_queue_size) {
        VIREO_GUEST_WARN("i8042: output buffer full, byte {:#x} dropped", value);
        return;
    }
    m_queue[(m_queue_head + m_queue_count) % k_queue_size] = Output { value, source };
    ++m_queue_count;
}

size_t I8042::inject_keyboard_bytes(std::span<const uint8_t> bytes)
{
    std::lock_guard guard(m_lock);
    if (!m_keyboard_scanning || (m_ram[0] & k_ctr_keyboard_disabled))
        return 0;
    size_t queued = 0;
    for (uint8_t byte : bytes) {
        if (m_queue_count == k_queue_size)
            break;
        push(byte, Source::Keyboard);
        ++queued;
    }
    update_interrupt();
    return queued;
}

void I8042::key_event(PcKey key, bool down)
{
    std::lock_guard guard(m_lock);
    if (!m_keyboard_scanning || (m_ram[0] & k_ctr_keyboard_disabled))
        return;
    // A keyboard in set 1 needs no translation (Linux never asks for set 1 with it on).
    auto bytes = ps2::key_bytes(key, down, m_scancode_set == 1 ? 1 : 2);
    if (m_scancode_set != 1 && (m_ram[0] & k_ctr_translate))
        bytes = ps2::translate_to_set1(bytes);
    if (bytes.empty() || bytes.size() > free_space())
        return;
    for (uint8_t byte : bytes)
        push(byte, Source::Keyboard);
    update_interrupt();
}

void I8042::mouse_event(int32_t dx, int32_t dy, int32_t dz, uint8_t buttons)
{
    std::lock_guard guard(m_lock);
    if (m_ram[0] & k_ctr_aux_disabled) {
        (void)m_mouse.motion(0, 0, 0, buttons, 0); // the clock is inhibited; remember the buttons
        return;
    }
    size_t packet = m_mouse.device_id() == Ps2Mouse::k_id_intellimouse ? 4 : 3;
    for (uint8_t byte : m_mouse.motion(dx, dy, dz, buttons, free_space() / packet))
        push(byte, Source::Aux);
    update_interrupt();
}

void I8042::update_interrupt()
{
    // IRQ 1 while keyboard data waits at the head and the command byte enables it; IRQ 12 the
    // same for aux data.
    bool pending = m_queue_count > 0;
    bool aux = pending && m_queue[m_queue_head].source == Source::Aux;
    bool level = pending && !aux && (m_ram[0] & k_ctr_keyboard_interrupt);
    if (level != m_irq_level) {
        m_irq_level = level;
        m_irq.set_level(level);
    }
    bool aux_level = aux && (m_ram[0] & k_ctr_aux_interrupt);
    if (aux_level != m_aux_irq_level) {
        m_aux_irq_level = aux_level;
        m_aux_irq.set_level(aux_level);
    }
}

uint8_t I8042::read_status() const
{
    uint8_t status = k_status_not_inhibited;
    if (m_queue_count > 0) {
        status |= k_status_output_full;
        if (m_queue[m_queue_head].source == Source::Aux)
            status |= k_status_aux_data;
    }
    if (m_ram[0] & k_ctr_system_flag)
        status |= k_status_system_flag;
    if (m_last_write_was_command)
        status |= k_status_last_was_command;
    return status;
}

uint8_t I8042::read_data()
{
    if (m_queue_count == 0)
        return m_last_output; // an empty buffer repeats the last byte
    m_last_output = m_queue[m_queue_head].value;
    m_queue_head = (m_queue_head + 1) % k_queue_size;
    --m_queue_count;
    // Lower the line after every byte so that the next one is a new edge: Linux's i8042
    // interrupt handler reads a single byte per interrupt.
    if (m_irq_level) {
        m_irq_level = false;
        m_irq.set_level(false);
    }
    if (m_aux_irq_level) {
        m_aux_irq_level = false;
        m_aux_irq.set_level(false);
    }
    update_interrupt();
    return m_last_output;
}

bool I8042::write_command(uint8_t command)
{
    m_last_write_was_command = true;
    m_pending = Pending::None; // a new command abandons a half-written one
    if (command >= k_cmd_read_ram_first && command <= k_cmd_read_ram_last) {
        push(m_ram[command - k_cmd_read_ram_first], Source::Keyboard);
        return false;
    }
    if (command >= k_cmd_write_ram_first && command <= k_cmd_write_ram_last) {
        m_pending = Pending::ControllerRam;
        m_pending_ram_index = static_cast<uint8_t>(command - k_cmd_write_ram_first);
        return false;
    }
    if (command >= k_cmd_pulse_first)
        return !(command & k_output_port_reset); // pulsing bit 0 low resets the CPU (0xFE)
    switch (command) {
    case k_cmd_disable_aux:
        m_ram[0] |= k_ctr_aux_disabled;
        break;
    case k_cmd_enable_aux:
        m_ram[0] &= static_cast<uint8_t>(~k_ctr_aux_disabled);
        break;
    case k_cmd_test_aux:
    case k_cmd_test_keyboard:
        push(k_interface_test_ok, Source::Keyboard);
        break;
    case k_cmd_self_test:
        m_ram[0] |= k_ctr_system_flag;
        push(k_self_test_ok, Source::Keyboard);
        break;
    case k_cmd_disable_keyboard:
        m_ram[0] |= k_ctr_keyboard_disabled;
        break;
    case k_cmd_enable_keyboard:
        m_ram[0] &= static_cast<uint8_t>(~k_ctr_keyboard_disabled);
        break;
    case k_cmd_read_input_port:
        push(0x80, Source::Keyboard); // bit 7: keyboard not inhibited
        break;
    case k_cmd_read_output_port:
        push(m_output_port, Source::Keyboard);
        break;
    case k_cmd_write_output_port:
        m_pending = Pending::OutputPort;
        break;
    case k_cmd_write_keyboard_buffer:
        m_pending = Pending::KeyboardBuffer;
        break;
    case k_cmd_write_aux_buffer:
        m_pending = Pending::AuxBuffer;
        break;
    case k_cmd_write_aux:
        m_pending = Pending::AuxDevice;
        break;
    case k_cmd_disable_a20:
        m_output_port &= static_cast<uint8_t>(~k_output_port_a20);
        break;
    case k_cmd_enable_a20:
        m_output_port |= k_output_port_a20;
        break;
    case k_cmd_read_test_inputs:
        push(0x00, Source::Keyboard);
        break;
    default:
        VIREO_GUEST_WARN("i8042: unknown controller command {:#x}", command);
        break;
    }
    return false;
}

bool I8042::write_data(uint8_t value)
{
    m_last_write_was_command = false;
    Pending pending = m_pending;
    m_pending = Pending::None;
    switch (pending) {
    case Pending::ControllerRam:
        m_ram[m_pending_ram_index] = value;
        return false;
    case Pending::OutputPort:
        m_output_port = value;
        return !(value & k_output_port_reset); // the reset line is active low
    case Pending::KeyboardBuffer:
        push(value, Source::Keyboard);
        return false;
    case Pending::AuxBuffer:
        push(value, Source::Aux);
        return false;
    case Pending::AuxDevice:
        for (uint8_t reply : m_mouse.command(value))
            push(reply, Source::Aux);
        return false;
    case Pending::KeyboardArgument:
        keyboard_argument(value);
        return false;
    case Pending::None:
        keyboard_command(value);
        return false;
    }
    return false;
}

void I8042::keyboard_command(uint8_t command)
{
    switch (command) {
    case k_kbd_reset:
        m_keyboard_scanning = true;
        m_scancode_set = 2;
        push(k_kbd_ack, Source::Keyboard);
        push(k_kbd_self_test_passed, Source::Keyboard);
        break;
    case k_kbd_identify:
        push(k_kbd_ack, Source::Keyboard);
        push(k_kbd_id_first, Source::Keyboard);
        push(k_kbd_id_second, Source::Keyboard);
        break;
    case k_kbd_set_leds:
    case k_kbd_typematic:
    case k_kbd_scancode_set:
        m_keyboard_command = command;
        m_pending = Pending::KeyboardArgument;
        push(k_kbd_ack, Source::Keyboard);
        break;
    case k_kbd_echo:
        push(k_kbd_echo, Source::Keyboard);
        break;
    case k_kbd_enable:
        m_keyboard_scanning = true;
        push(k_kbd_ack, Source::Keyboard);
        break;
    case k_kbd_disable:
        m_keyboard_scanning = false;
        push(k_kbd_ack, Source::Keyboard);
        break;
    case k_kbd_defaults:
        m_scancode_set = 2;
        push(k_kbd_ack, Source::Keyboard);
        break;
    default:
        // 0xF7-0xFE (key modes, resend): acknowledged and ignored; anything else is not a
        // keyboard command and gets "resend".
        push(command > k_kbd_set_leds ? k_kbd_ack : k_kbd_resend, Source::Keyboard);
        break;
    }
}

void I8042::keyboard_argument(uint8_t value)
{
    if (m_keyboard_command == k_kbd_scancode_set) {
        push(k_kbd_ack, Source::Keyboard);
        if (value == 0)
            push(m_scancode_set, Source::Keyboard); // "which set?"
        else if (value <= 3)
            m_scancode_set = value;
        return;
    }
    push(k_kbd_ack, Source::Keyboard); // LED state or typematic rate: accepted, no effect
}

void I8042::read(uint64_t offset, std::span<uint8_t> data)
{
    std::lock_guard guard(m_lock);
    for (size_t i = 0; i < data.size(); ++i) {
        uint64_t port = offset + i;
        if (port == k_data_offset)
            data[i] = read_data();
        else if (port == k_command_offset)
            data[i] = read_status();
        else
            data[i] = 0xff;
    }
}

void I8042::write(uint64_t offset, std::span<const uint8_t> data)
{
    bool reset_requested = false;
    {
        std::lock_guard guard(m_lock);
        for (size_t i = 0; i < data.size(); ++i) {
            uint64_t port = offset + i;
            if (port == k_data_offset)
                reset_requested |= write_data(data[i]);
            else if (port == k_command_offset)
                reset_requested |= write_command(data[i]);
        }
        update_interrupt();
    }
    if (reset_requested && m_reset)
        m_reset();
}

} // namespace vireo
