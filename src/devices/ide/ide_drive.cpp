#include "devices/ide/ide_drive.h"

#include <algorithm>
#include <cstring>

namespace vireo {

using namespace ata;

IdeDrive::IdeDrive(IdeDriveHost& host, unsigned unit)
    : m_host(host)
    , m_unit(unit)
{
}

uint8_t IdeDrive::read_register(Reg reg) const
{
    // HOB selects the "previous content" of the 48-bit registers (ATA8-ACS §6.2.3).
    bool hob = m_tf.control & k_ctl_hob;
    switch (reg) {
    case Reg::ErrorFeature:
        return m_tf.error;
    case Reg::Count:
        return hob ? m_tf.hob_count : m_tf.count;
    case Reg::LbaLow:
        return hob ? m_tf.hob_lba_low : m_tf.lba_low;
    case Reg::LbaMid:
        return hob ? m_tf.hob_lba_mid : m_tf.lba_mid;
    case Reg::LbaHigh:
        return hob ? m_tf.hob_lba_high : m_tf.lba_high;
    case Reg::Device:
        return m_tf.device;
    case Reg::StatusCommand:
        return m_tf.status;
    case Reg::Data:
        break;
    }
    return 0xff;
}

void IdeDrive::write_register(Reg reg, uint8_t value)
{
    // Each write pushes the register's previous byte into its "previous content" half and
    // clears HOB (ATA8-ACS §6.2.3, §7.8).
    auto push = [value](uint8_t& current, uint8_t& previous) {
        previous = current;
        current = value;
    };
    m_tf.control &= static_cast<uint8_t>(~k_ctl_hob);
    switch (reg) {
    case Reg::ErrorFeature:
        push(m_tf.feature, m_tf.hob_feature);
        break;
    case Reg::Count:
        push(m_tf.count, m_tf.hob_count);
        break;
    case Reg::LbaLow:
        push(m_tf.lba_low, m_tf.hob_lba_low);
        break;
    case Reg::LbaMid:
        push(m_tf.lba_mid, m_tf.hob_lba_mid);
        break;
    case Reg::LbaHigh:
        push(m_tf.lba_high, m_tf.hob_lba_high);
        break;
    case Reg::Device:
        m_tf.device = value;
        break;
    case Reg::Data:
    case Reg::StatusCommand:
        break;
    }
}

void IdeDrive::write_command(uint8_t command)
{
    // A command written while BSY is ignored; DEVICE RESET is how a host recovers a packet
    // device that stays busy (ATA8-ACS §7.10).
    bool reset_packet_device = kind() == IdeMedia::Cdrom && command == k_cmd_device_reset;
    if ((m_tf.status & k_st_bsy) && !reset_packet_device)
        return;
    m_tf.control &= static_cast<uint8_t>(~k_ctl_hob);
    m_interrupt = false;
    cancel_io(); // a transfer still in its DRQ phase is abandoned
    m_phase = Phase::Idle;
    m_tf.error = 0;
    execute(command);
}

void IdeDrive::write_control(uint8_t value)
{
    m_tf.control = value;
}

// Moves up to `length` bytes of the current PIO block through copy(offset into the caller's
// span, offset into the buffer, count), ending the block when it is done.
template<typename Copy>
size_t IdeDrive::transfer_pio(Phase phase, size_t length, Copy copy)
{
    size_t done = 0;
    // A command set never presents an empty block; should one appear, stop rather than spin.
    int empty_blocks = 0;
    while (done < length && m_phase == phase && empty_blocks < 2) {
        if (m_block_end <= m_position)
            ++empty_blocks;
        size_t n = std::min(length - done, m_block_end - std::min(m_position, m_block_end));
        copy(done, m_position, n);
        done += n;
        m_position += n;
        if (m_position >= m_block_end) {
            m_phase = Phase::Busy;
            m_tf.status &= static_cast<uint8_t>(~k_st_drq);
            pio_block_done();
        }
    }
    return done;
}

void IdeDrive::read_data(std::span<uint8_t> out)
{
    size_t done = transfer_pio(Phase::PioIn, out.size(), [&](size_t at, size_t position, size_t n) {
        std::memcpy(out.data() + at, m_buffer.data() + position, n);
    });
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(done), out.end(), 0xff);
}

void IdeDrive::write_data(std::span<const uint8_t> in)
{
    transfer_pio(Phase::PioOut, in.size(), [&](size_t at, size_t position, size_t n) {
        std::memcpy(m_buffer.data() + position, in.data() + at, n);
    });
}

void IdeDrive::dma_done()
{
    if (m_phase != Phase::DmaWait)
        return;
    set_busy();
    dma_transfer_done();
}

void IdeDrive::dma_regions_ready(std::vector<std::span<uint8_t>> regions)
{
    if (m_phase != Phase::DmaWait || !m_dma_maps_memory)
        return;
    set_busy();
    dma_mapped_transfer(std::move(regions));
}

void IdeDrive::dma_failed()
{
    if (m_phase != Phase::DmaWait)
        return;
    fail(k_err_abrt);
}

void IdeDrive::begin_reset()
{
    cancel_io();
    m_phase = Phase::Busy;
    m_interrupt = false;
    m_tf.status = k_st_bsy;
}

void IdeDrive::end_reset()
{
    cancel_io();
    m_phase = Phase::Idle;
    m_interrupt = false;
    set_signature();
    m_tf.error = k_diag_passed;
    m_tf.status = reset_status();
    reset_done();
}

void IdeDrive::execute_diagnostic()
{
    end_reset();
    raise_interrupt();
}

IdeDrive::Registers IdeDrive::save_registers() const
{
    Registers registers { m_tf, m_interrupt };
    // A command in progress is not carried over: the drive is saved as idle.
    if (m_phase != Phase::Idle)
        registers.task_file.status = ready_status();
    return registers;
}

void IdeDrive::restore_registers(const Registers& registers)
{
    cancel_io();
    m_phase = Phase::Idle;
    m_tf = registers.task_file;
    m_tf.status &= static_cast<uint8_t>(~(k_st_bsy | k_st_drq));
    m_interrupt = registers.interrupt_pending;
}

void IdeDrive::set_busy()
{
    m_phase = Phase::Busy;
    m_tf.status = k_st_bsy;
}

void IdeDrive::start_pio_in(size_t begin, size_t end)
{
    end = std::min(end, m_buffer.size());
    begin = std::min(begin, end);
    m_phase = Phase::PioIn;
    m_position = begin;
    m_block_end = end;
    m_tf.status = static_cast<uint8_t>(ready_status() | k_st_drq);
    raise_interrupt();
}

void IdeDrive::start_pio_out(size_t begin, size_t end, bool interrupt)
{
    end = std::min(end, m_buffer.size());
    begin = std::min(begin, end);
    m_phase = Phase::PioOut;
    m_position = begin;
    m_block_end = end;
    m_tf.status = static_cast<uint8_t>(ready_status() | k_st_drq);
    if (interrupt)
        raise_interrupt();
}

void IdeDrive::start_dma(DmaDirection direction, size_t length)
{
    if (m_buffer.size() < length)
        m_buffer.resize(length);
    m_phase = Phase::DmaWait;
    m_dma_direction = direction;
    m_dma_length = length;
    m_dma_maps_memory = false;
    m_tf.status = static_cast<uint8_t>(ready_status() | k_st_drq);
}

void IdeDrive::start_mapped_dma(DmaDirection direction, size_t length)
{
    m_phase = Phase::DmaWait;
    m_dma_direction = direction;
    m_dma_length = length;
    m_dma_maps_memory = true;
    m_tf.status = static_cast<uint8_t>(ready_status() | k_st_drq);
}

void IdeDrive::complete(bool interrupt)
{
    m_phase = Phase::Idle;
    m_tf.status = ready_status();
    if (interrupt)
        raise_interrupt();
}

void IdeDrive::fail(uint8_t error)
{
    m_phase = Phase::Idle;
    m_tf.error = error;
    m_tf.status = static_cast<uint8_t>(ready_status() | k_st_err);
    raise_interrupt();
}

void IdeDrive::raise_interrupt()
{
    m_interrupt = true;
    m_host.interrupt_raised(*this);
}

void IdeDrive::submit_io(DiskImage& image, DiskRequest request, std::function<void(int)> done)
{
    uint64_t generation = m_generation;
    m_host.submit(image, std::move(request), [this, generation, done = std::move(done)](int result) {
        if (generation == m_generation)
            done(result);
    });
}

void put_ata_string(std::span<uint16_t> words, std::string_view text)
{
    for (size_t i = 0; i < words.size(); ++i) {
        auto at = [&](size_t index) -> uint16_t {
            return index < text.size() ? static_cast<uint8_t>(text[index]) : uint16_t { ' ' };
        };
        words[i] = static_cast<uint16_t>(at(2 * i) << 8 | at(2 * i + 1));
    }
}

void set_identify_checksum(std::span<uint16_t, 256> words)
{
    words[255] = 0x00a5;
    uint8_t sum = 0;
    for (size_t i = 0; i < 256; ++i)
        sum = static_cast<uint8_t>(sum + (words[i] & 0xff) + (words[i] >> 8));
    words[255] = static_cast<uint16_t>(static_cast<uint8_t>(-sum) << 8 | 0xa5);
}

} // namespace vireo
