#include "devices/legacy/serial_16550.h"

#include <algorithm>

#include <fmt/format.h>

namespace vireo {

namespace {

// Register offsets (NS16550A datasheet, Table 2). DLAB = LCR bit 7 switches 0/1 to the divisor.
constexpr uint64_t k_rbr_thr = 0;
constexpr uint64_t k_ier = 1;
constexpr uint64_t k_iir_fcr = 2;
constexpr uint64_t k_lcr = 3;
constexpr uint64_t k_mcr = 4;
constexpr uint64_t k_lsr = 5;
constexpr uint64_t k_msr = 6;
constexpr uint64_t k_scr = 7;

constexpr uint8_t k_ier_rx_data = 0x01;
constexpr uint8_t k_ier_thr_empty = 0x02;
constexpr uint8_t k_ier_line_status = 0x04;
constexpr uint8_t k_ier_modem_status = 0x08;
constexpr uint8_t k_ier_mask = 0x0f; // bits 7:4 read as zero (Linux checks this in autoconfig)

constexpr uint8_t k_iir_none = 0x01;
constexpr uint8_t k_iir_line_status = 0x06;
constexpr uint8_t k_iir_rx_data = 0x04;
constexpr uint8_t k_iir_rx_timeout = 0x0c;
constexpr uint8_t k_iir_thr_empty = 0x02;
constexpr uint8_t k_iir_modem_status = 0x00;
constexpr uint8_t k_iir_fifo_enabled = 0xc0;

constexpr uint8_t k_fcr_enable = 0x01;
constexpr uint8_t k_fcr_clear_rx = 0x02;
constexpr uint8_t k_fcr_trigger_mask = 0xc0;

constexpr uint8_t k_lcr_dlab = 0x80;

constexpr uint8_t k_mcr_dtr = 0x01;
constexpr uint8_t k_mcr_rts = 0x02;
constexpr uint8_t k_mcr_out1 = 0x04;
constexpr uint8_t k_mcr_out2 = 0x08;
constexpr uint8_t k_mcr_loopback = 0x10;
constexpr uint8_t k_mcr_mask = 0x1f;

constexpr uint8_t k_lsr_data_ready = 0x01;
constexpr uint8_t k_lsr_overrun = 0x02;
constexpr uint8_t k_lsr_thr_empty = 0x20;
constexpr uint8_t k_lsr_tx_empty = 0x40;

constexpr uint8_t k_msr_cts = 0x10;
constexpr uint8_t k_msr_dsr = 0x20;
constexpr uint8_t k_msr_ri = 0x40;
constexpr uint8_t k_msr_dcd = 0x80;

// Receive FIFO trigger levels selected by FCR bits 7:6.
constexpr std::array<size_t, 4> k_trigger_levels { 1, 4, 8, 14 };

} // namespace

Serial16550::Serial16550(InterruptLine& irq, SerialOutput& output)
    : m_irq(irq)
    , m_output(output)
{
}

void Serial16550::set_rx_drained_callback(std::function<void()> callback)
{
    std::lock_guard guard(m_lock);
    m_rx_drained = std::move(callback);
}

size_t Serial16550::rx_capacity() const
{
    // Without the FIFO the receiver holds one character (16450 mode).
    return (m_fcr & k_fcr_enable) ? k_fifo_size : 1;
}

size_t Serial16550::input_space_locked() const
{
    // In loopback the receiver is disconnected from the line (datasheet, MCR bit 4).
    if (m_mcr & k_mcr_loopback)
        return 0;
    return rx_capacity() - m_rx_count;
}

size_t Serial16550::input_space() const
{
    std::lock_guard guard(m_lock);
    return input_space_locked();
}

std::string Serial16550::describe_state() const
{
    std::lock_guard guard(m_lock);
    return fmt::format("UART: IER {:#x} IIR {:#x} LCR {:#x} MCR {:#x} FCR {:#x} rx bytes {} THRE pending {} "
                       "IRQ line {} input held {}",
        m_ier, interrupt_identification(), m_lcr, m_mcr, m_fcr, m_rx_count, m_thre_pending, m_irq_level,
        m_input_held);
}

size_t Serial16550::push_input(std::span<const uint8_t> bytes)
{
    std::lock_guard guard(m_lock);
    size_t accepted = std::min(bytes.size(), input_space_locked());
    for (size_t i = 0; i < accepted; ++i)
        receive_byte(bytes[i]);
    if (accepted < bytes.size())
        m_input_held = true;
    update_interrupt();
    return accepted;
}

void Serial16550::reset()
{
    std::function<void()> callback;
    {
        std::lock_guard guard(m_lock);
        reset_locked();
        if (take_rx_drained())
            callback = m_rx_drained;
    }
    if (callback)
        callback();
}

void Serial16550::reset_locked()
{
    clear_rx();
    m_ier = 0;
    m_lcr = 0;
    m_mcr = 0;
    m_lsr_errors = 0;
    m_msr_deltas = 0;
    m_scr = 0;
    m_fcr = 0;
    m_divisor = 12;
    m_thre_pending = false;
    update_interrupt();
}

void Serial16550::receive_byte(uint8_t value)
{
    if (m_rx_count == rx_capacity()) {
        // Overrun: in FIFO mode the new character is lost and the FIFO kept; without the FIFO
        // the new character overwrites the holding register. Either way OE is set.
        m_lsr_errors |= k_lsr_overrun;
        if (!(m_fcr & k_fcr_enable))
            m_rx[m_rx_head] = value;
        return;
    }
    m_rx[(m_rx_head + m_rx_count) % k_fifo_size] = value;
    ++m_rx_count;
}

uint8_t Serial16550::pop_rx()
{
    if (m_rx_count == 0)
        return m_rx[m_rx_head]; // reading an empty RBR repeats the last character
    uint8_t value = m_rx[m_rx_head];
    m_rx_head = (m_rx_head + 1) % k_fifo_size;
    --m_rx_count;
    return value;
}

void Serial16550::clear_rx()
{
    m_rx_head = 0;
    m_rx_count = 0;
}

uint8_t Serial16550::modem_inputs() const
{
    if (m_mcr & k_mcr_loopback) {
        // Loopback wires RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD (datasheet, MCR bit 4).
        uint8_t inputs = 0;
        if (m_mcr & k_mcr_rts)
            inputs |= k_msr_cts;
        if (m_mcr & k_mcr_dtr)
            inputs |= k_msr_dsr;
        if (m_mcr & k_mcr_out1)
            inputs |= k_msr_ri;
        if (m_mcr & k_mcr_out2)
            inputs |= k_msr_dcd;
        return inputs;
    }
    // A modem that is always there and ready: CTS, DSR and DCD asserted, no ring.
    return k_msr_cts | k_msr_dsr | k_msr_dcd;
}

void Serial16550::set_modem_inputs(uint8_t old_inputs)
{
    uint8_t new_inputs = modem_inputs();
    uint8_t changed = old_inputs ^ new_inputs;
    // DCTS, DDSR, DDCD flag any change; TERI only the trailing edge of RI.
    m_msr_deltas |= (changed >> 4) & 0x0b;
    if ((old_inputs & k_msr_ri) && !(new_inputs & k_msr_ri))
        m_msr_deltas |= 0x04;
}

uint8_t Serial16550::interrupt_identification() const
{
    // Priority (datasheet, IIR table): line status > rx data / timeout > THR empty > modem.
    uint8_t fifo_bits = (m_fcr & k_fcr_enable) ? k_iir_fifo_enabled : 0;
    if ((m_ier & k_ier_line_status) && m_lsr_errors)
        return fifo_bits | k_iir_line_status;
    if ((m_ier & k_ier_rx_data) && m_rx_count > 0) {
        if (!(m_fcr & k_fcr_enable))
            return k_iir_rx_data;
        // Simplification: below the trigger level the character timeout is reported at once
        // instead of after four character times; drivers treat both the same way.
        size_t trigger = k_trigger_levels[(m_fcr & k_fcr_trigger_mask) >> 6];
        return fifo_bits | (m_rx_count >= trigger ? k_iir_rx_data : k_iir_rx_timeout);
    }
    if ((m_ier & k_ier_thr_empty) && m_thre_pending)
        return fifo_bits | k_iir_thr_empty;
    if ((m_ier & k_ier_modem_status) && m_msr_deltas)
        return fifo_bits | k_iir_modem_status;
    return fifo_bits | k_iir_none;
}

void Serial16550::update_interrupt()
{
    bool level = !(interrupt_identification() & k_iir_none);
    if (level != m_irq_level) {
        m_irq_level = level;
        m_irq.set_level(level);
    }
}

bool Serial16550::take_rx_drained()
{
    // Ask for more only once the receiver is empty: one callback per FIFO-full of input.
    if (m_input_held && m_rx_count == 0 && !(m_mcr & k_mcr_loopback)) {
        m_input_held = false;
        return true;
    }
    return false;
}

uint8_t Serial16550::read_register(uint64_t offset)
{
    bool dlab = m_lcr & k_lcr_dlab;
    switch (offset) {
    case k_rbr_thr:
        if (dlab)
            return static_cast<uint8_t>(m_divisor);
        return pop_rx();
    case k_ier:
        if (dlab)
            return static_cast<uint8_t>(m_divisor >> 8);
        return m_ier;
    case k_iir_fcr: {
        uint8_t iir = interrupt_identification();
        // Reading IIR clears a THR-empty interrupt when it is the one reported.
        if ((iir & 0x0f) == k_iir_thr_empty)
            m_thre_pending = false;
        return iir;
    }
    case k_lcr:
        return m_lcr;
    case k_mcr:
        return m_mcr;
    case k_lsr: {
        uint8_t lsr = k_lsr_thr_empty | k_lsr_tx_empty | m_lsr_errors;
        if (m_rx_count > 0)
            lsr |= k_lsr_data_ready;
        m_lsr_errors = 0;
        return lsr;
    }
    case k_msr: {
        uint8_t msr = modem_inputs() | m_msr_deltas;
        m_msr_deltas = 0;
        return msr;
    }
    case k_scr:
        return m_scr;
    default:
        return 0xff;
    }
}

void Serial16550::write_register(uint64_t offset, uint8_t value)
{
    bool dlab = m_lcr & k_lcr_dlab;
    switch (offset) {
    case k_rbr_thr:
        if (dlab) {
            m_divisor = static_cast<uint16_t>((m_divisor & 0xff00) | value);
            return;
        }
        if (m_mcr & k_mcr_loopback)
            receive_byte(value);
        else
            m_output.write(std::span<const uint8_t>(&value, 1));
        // Transmission is instant: THR is empty again, which raises THRE anew (a write clears
        // the old one and the next character time would set it again).
        m_thre_pending = true;
        return;
    case k_ier: {
        if (dlab) {
            m_divisor = static_cast<uint16_t>((m_divisor & 0x00ff) | (value << 8));
            return;
        }
        uint8_t old = m_ier;
        m_ier = value & k_ier_mask;
        // Enabling ETBEI while THR is empty raises THRE (a real 16550 does; Linux's 8250
        // driver tests it at start-up and otherwise falls back to a polling timer).
        if ((m_ier & k_ier_thr_empty) && !(old & k_ier_thr_empty))
            m_thre_pending = true;
        else if (!(m_ier & k_ier_thr_empty))
            m_thre_pending = false;
        return;
    }
    case k_iir_fcr: {
        bool was_enabled = m_fcr & k_fcr_enable;
        bool enable = value & k_fcr_enable;
        // Switching the FIFOs on or off resets them; the clear bit acts only with FIFO on.
        if (was_enabled != enable || (enable && (value & k_fcr_clear_rx)))
            clear_rx();
        m_fcr = enable ? static_cast<uint8_t>(value & (k_fcr_trigger_mask | k_fcr_enable)) : 0;
        return;
    }
    case k_lcr:
        m_lcr = value;
        return;
    case k_mcr: {
        uint8_t old_inputs = modem_inputs();
        m_mcr = value & k_mcr_mask;
        set_modem_inputs(old_inputs);
        return;
    }
    case k_scr:
        m_scr = value;
        return;
    default:
        return; // LSR and MSR are read-only
    }
}

void Serial16550::read(uint64_t offset, std::span<uint8_t> data)
{
    std::function<void()> callback;
    {
        std::lock_guard guard(m_lock);
        for (size_t i = 0; i < data.size(); ++i) {
            uint64_t reg = offset + i;
            data[i] = reg < k_register_count ? read_register(reg) : 0xff;
            update_interrupt();
        }
        if (take_rx_drained())
            callback = m_rx_drained;
    }
    if (callback)
        callback();
}

void Serial16550::write(uint64_t offset, std::span<const uint8_t> data)
{
    std::function<void()> callback;
    {
        std::lock_guard guard(m_lock);
        for (size_t i = 0; i < data.size(); ++i) {
            uint64_t reg = offset + i;
            if (reg < k_register_count)
                write_register(reg, data[i]);
            update_interrupt();
        }
        if (take_rx_drained())
            callback = m_rx_drained;
    }
    if (callback)
        callback();
}

} // namespace vireo
