#pragma once
// A 16550A UART (NS16550A datasheet; register map as on the PC's COM ports): eight byte-wide
// registers at offsets 0-7, a 16-byte receive FIFO, instant transmission, loopback, and a
// level-style interrupt output.
//
// Threads: vCPU threads access the registers, the event-loop thread calls push_input; one
// mutex guards the state. The interrupt line and the output are called with that mutex held
// (so bytes and level changes stay in order); the rx-drained callback is called without it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>

#include "bus/bus_device.h"
#include "bus/interrupt.h"

namespace vireo {

// Where the bytes the guest transmits go (a console, a file, a socket). Called from vCPU
// threads with the UART's lock held: it should not block for long.
class SerialOutput {
public:
    virtual ~SerialOutput() = default;
    virtual void write(std::span<const uint8_t> bytes) = 0;
};

class Serial16550 final : public BusDevice {
public:
    static constexpr uint64_t k_register_count = 8; // register at base, length 8
    static constexpr size_t k_fifo_size = 16;

    Serial16550(InterruptLine& irq, SerialOutput& output);

    // Called (without the UART's lock, from a vCPU thread) when input was refused earlier and
    // the receiver can take more now; the event loop should re-offer its held bytes. Set it
    // before the vCPUs run.
    void set_rx_drained_callback(std::function<void()> callback);

    // Offers bytes typed on the host side; returns how many were accepted (the rest must be
    // held by the caller and offered again after the rx-drained callback). Never drops input.
    size_t push_input(std::span<const uint8_t> bytes);
    // How many bytes push_input would accept now.
    size_t input_space() const;
    // Registers and interrupt state in one line, for diagnostics.
    [[nodiscard]] std::string describe_state() const;

    // Back to the power-on state (machine reset); keeps the callbacks.
    void reset();

    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    uint8_t read_register(uint64_t offset);
    void write_register(uint64_t offset, uint8_t value);
    void reset_locked();

    size_t rx_capacity() const;
    size_t input_space_locked() const;
    // Adds a received byte (from the host or from loopback); sets OE when there is no room.
    void receive_byte(uint8_t value);
    uint8_t pop_rx();
    void clear_rx();

    uint8_t modem_inputs() const;        // MSR bits 7:4 as the line currently shows them
    void set_modem_inputs(uint8_t old_inputs);
    uint8_t interrupt_identification() const;
    void update_interrupt();
    // After a register access: if input was held back and the receiver has room again,
    // returns true so that the caller fires the callback once the lock is released.
    bool take_rx_drained();

    InterruptLine& m_irq;
    SerialOutput& m_output;
    std::function<void()> m_rx_drained;

    mutable std::mutex m_lock;
    std::array<uint8_t, k_fifo_size> m_rx {};
    size_t m_rx_head = 0;
    size_t m_rx_count = 0;
    uint8_t m_ier = 0;
    uint8_t m_lcr = 0;
    uint8_t m_mcr = 0;
    uint8_t m_lsr_errors = 0; // OE/PE/FE/BI, cleared by reading LSR
    uint8_t m_msr_deltas = 0; // MSR bits 3:0, cleared by reading MSR
    uint8_t m_scr = 0;
    uint8_t m_fcr = 0;        // bit 0 FIFO enable, bits 7:6 trigger level
    uint16_t m_divisor = 12;  // 9600 baud; kept for read-back only
    bool m_thre_pending = false;
    bool m_irq_level = false;
    bool m_input_held = false; // push_input refused bytes since the receiver last drained
};

} // namespace vireo
