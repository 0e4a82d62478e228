#pragma once
// One device on an IDE channel, the part ATA disks and ATAPI CD-ROMs share: the task-file
// registers as this device latches them (with the 48-bit "previous content" bytes), status and
// error, the data-transfer engine (PIO DRQ blocks through the data register; a buffer that the
// channel's bus master moves for DMA), the interrupt request, and resets. AtaDisk and
// AtapiCdrom add the command sets.
//
// Threads: not thread-safe by itself. The channel calls every method with its lock held, from
// vCPU threads (register accesses) and from the event loop (disk completions).
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "block/disk_image.h"
#include "devices/ide/ata_spec.h"
#include "devices/ide/ide_drive_spec.h"

namespace vireo {

class IdeDrive;

// What a drive needs from its channel.
class IdeDriveHost {
public:
    virtual ~IdeDriveHost() = default;
    // Submits a request; `done` runs later on the event-loop thread with the channel lock held
    // (never inside submit), and not at all if the channel is gone by then.
    virtual void submit(DiskImage& image, DiskRequest request, std::function<void(int)> done) = 0;
    // Starts or stops watching an image's completion fd (media changes; loop thread only).
    [[nodiscard]] virtual Result<void> watch_image(const std::shared_ptr<DiskImage>& image) = 0;
    virtual void unwatch_image(const std::shared_ptr<DiskImage>& image) = 0;
    // The drive raised its interrupt request (the bus master latches its Interrupt bit).
    virtual void interrupt_raised(IdeDrive& drive) = 0;
};

enum class DmaDirection { ToMemory, FromMemory };

class IdeDrive {
public:
    // The task file as this device latches it (both devices latch every write, ATA8-ACS §6.2).
    struct TaskFile {
        uint8_t feature = 0, hob_feature = 0;
        uint8_t count = 0, hob_count = 0;
        uint8_t lba_low = 0, hob_lba_low = 0;
        uint8_t lba_mid = 0, hob_lba_mid = 0;
        uint8_t lba_high = 0, hob_lba_high = 0;
        uint8_t device = 0;
        uint8_t error = 0;
        uint8_t status = 0;
        uint8_t control = 0; // last Device Control write (nIEN, HOB)
    };
    // Guest-visible register state between commands; a command in progress is not carried
    // (restore() leaves the drive idle: a guest in the middle of one sees it time out).
    struct Registers {
        TaskFile task_file;
        bool interrupt_pending = false;
    };

    IdeDrive(IdeDriveHost& host, unsigned unit);
    virtual ~IdeDrive() = default;
    IdeDrive(const IdeDrive&) = delete;
    IdeDrive& operator=(const IdeDrive&) = delete;

    [[nodiscard]] virtual IdeMedia kind() const = 0;
    [[nodiscard]] unsigned unit() const { return m_unit; }

    // Register accesses (offsets as ata::Reg); data goes through read_data/write_data.
    [[nodiscard]] uint8_t read_register(ata::Reg reg) const;
    void write_register(ata::Reg reg, uint8_t value);
    [[nodiscard]] uint8_t status() const { return m_tf.status; }
    void write_command(uint8_t command);
    // Device Control write (nIEN, HOB; SRST is the channel's business: begin/end_reset).
    void write_control(uint8_t value);

    // The data register: moves as many bytes as the current DRQ blocks allow (any width, a
    // whole string-I/O batch at once); what is left reads as 0xff / is dropped.
    void read_data(std::span<uint8_t> out);
    void write_data(std::span<const uint8_t> in);

    // INTRQ as this device drives it (the channel gates it with nIEN and device selection).
    [[nodiscard]] bool interrupt_pending() const { return m_interrupt; }
    void clear_interrupt() { m_interrupt = false; }
    [[nodiscard]] bool interrupts_enabled() const { return !(m_tf.control & ata::k_ctl_nien); }

    // DMA: the drive requests it (DMARQ), either with a buffer for the bus master to move or
    // (maps_memory) asking for the guest regions themselves, which it then reads or writes
    // straight from the image: no copy, and one image request for the whole command.
    [[nodiscard]] bool dma_requested() const { return m_phase == Phase::DmaWait; }
    [[nodiscard]] bool dma_maps_memory() const { return m_dma_maps_memory; }
    [[nodiscard]] DmaDirection dma_direction() const { return m_dma_direction; }
    [[nodiscard]] size_t dma_length() const { return m_dma_length; }
    [[nodiscard]] std::span<uint8_t> dma_buffer() { return std::span(m_buffer).subspan(0, m_dma_length); }
    // The bus master moved the whole buffer / hit a memory error (the command aborts).
    void dma_done();
    void dma_failed();
    // The bus master mapped dma_length() bytes of checked guest memory for a maps_memory request.
    void dma_regions_ready(std::vector<std::span<uint8_t>> regions);
    // A command is in progress without DRQ/DMARQ (waiting for the image, or resetting).
    [[nodiscard]] bool busy() const { return m_phase == Phase::Busy; }

    // SRST asserted / released, and power-on: reset signature, status, no interrupt.
    void begin_reset();
    void end_reset();
    // EXECUTE DEVICE DIAGNOSTIC (the channel runs it on both devices).
    void execute_diagnostic();

    [[nodiscard]] Registers save_registers() const;
    void restore_registers(const Registers& registers);

protected:
    enum class Phase { Idle, Busy, PioIn, PioOut, DmaWait };

    // The command set. `command` was written while the drive was not busy.
    virtual void execute(uint8_t command) = 0;
    // The guest moved the whole current PIO block.
    virtual void pio_block_done() = 0;
    template<typename Copy>
    size_t transfer_pio(Phase phase, size_t length, Copy copy);
    // The bus master moved the whole DMA buffer (start_dma).
    virtual void dma_transfer_done() { fail(ata::k_err_abrt); }
    // The guest regions of a start_mapped_dma request, dma_length() bytes in all.
    virtual void dma_mapped_transfer(std::vector<std::span<uint8_t>> /*regions*/) { fail(ata::k_err_abrt); }
    // Status when idle (DRDY|DSC) and after a reset (ATAPI devices: 0, ATA8-ACS §9.12).
    [[nodiscard]] virtual uint8_t ready_status() const = 0;
    [[nodiscard]] virtual uint8_t reset_status() const { return ready_status(); }
    virtual void set_signature() = 0;
    virtual void reset_done() { }

    // Helpers for the command sets.
    void set_busy();
    void start_pio_in(size_t begin, size_t end);  // DRQ for m_buffer[begin, end), INTRQ
    void start_pio_out(size_t begin, size_t end, bool interrupt); // DRQ, INTRQ unless the first block
    void start_dma(DmaDirection direction, size_t length); // DMARQ over m_buffer[0, length)
    void start_mapped_dma(DmaDirection direction, size_t length); // DMARQ for `length` bytes of guest regions
    void complete(bool interrupt = true);          // idle, ready status, INTRQ
    void fail(uint8_t error);                      // ERR with `error`, INTRQ
    void raise_interrupt();
    [[nodiscard]] Phase phase() const { return m_phase; }
    // Submits to image; `done` runs unless a reset or a new command came in between.
    void submit_io(DiskImage& image, DiskRequest request, std::function<void(int)> done);
    void cancel_io() { ++m_generation; }

    IdeDriveHost& m_host;
    TaskFile m_tf;
    std::vector<uint8_t> m_buffer; // the current transfer chunk (PIO and DMA)
    size_t m_position = 0;         // next byte the guest moves through the data register
    size_t m_block_end = 0;        // end of the current DRQ block

private:
    unsigned m_unit;
    Phase m_phase = Phase::Idle;
    bool m_interrupt = false;
    DmaDirection m_dma_direction = DmaDirection::ToMemory;
    size_t m_dma_length = 0;
    bool m_dma_maps_memory = false;
    uint64_t m_generation = 0;
};

// Fills IDENTIFY words with an ATA string: two characters per word, first in the high byte,
// padded with spaces (ATA8-ACS §3.2.7).
void put_ata_string(std::span<uint16_t> words, std::string_view text);
// Sets word 255 to the integrity word: signature 0xa5 and a checksum making the sum of all
// 512 bytes zero (ATA8-ACS §7.16.7.87).
void set_identify_checksum(std::span<uint16_t, 256> words);

} // namespace vireo
