#pragma once
// The SFF-8038i bus-master DMA engine of one IDE channel: its Command, Status and PRD Table
// Pointer registers, and the walk of the physical region descriptor table in guest memory.
// Every descriptor and every region is checked through GuestMemory before a byte moves.
//
// What the guest sees (SFF-8038i §3.3, Status register interpretation):
// - the transfer used the table exactly: Active 0, Interrupt 1 (when the drive interrupts);
// - the table is longer than the transfer: Active stays 1, Interrupt 1;
// - the table is shorter (EOT before the end of the drive's buffer): nothing moves, Active 0
//   and no interrupt; the drive keeps requesting DMA until the host restarts the engine
//   with a new table or resets the drive;
// - a descriptor or a region outside RAM, or a table that reaches a 64 KiB boundary without
//   EOT (a table may not cross one, §1.2): Error 1, Active 0, like a PCI master abort; the
//   channel then aborts the drive's command, whose interrupt sets Interrupt.
// Not thread-safe: the channel calls it with its lock held.
#include <cstdint>
#include <span>
#include <vector>

#include "devices/ide/ide_drive.h"
#include "memory/guest_memory.h"

namespace vireo {

class BusMaster {
public:
    struct State {
        uint8_t command = 0;
        uint8_t status = 0;
        uint32_t prd_table = 0;
    };
    enum class Outcome { Done, ShortTable, Fault };

    explicit BusMaster(const GuestMemory& memory)
        : m_memory(memory)
    {
    }

    // Register accesses at offsets 0-7 of this channel's block (any width).
    void read(uint64_t offset, std::span<uint8_t> data) const;
    void write(uint64_t offset, std::span<const uint8_t> data);

    [[nodiscard]] bool active() const { return m_state.status & bmdma::k_st_active; }
    // Moves `buffer` between the drive and the regions of the table, from where the previous
    // transfer of this command stopped.
    [[nodiscard]] Outcome transfer(std::span<uint8_t> buffer, DmaDirection direction);
    // For a drive that moves the data itself: the table's next `length` bytes of regions, as
    // checked host views of guest memory (on Done). The walk moves on at once; Active stays as
    // it is until finish_mapped(), called when the drive's transfer has ended.
    [[nodiscard]] Outcome map(size_t length, std::vector<std::span<uint8_t>>& regions);
    void finish_mapped();
    // The drive raised INTRQ (the Interrupt bit latches its rising edge).
    void latch_interrupt() { m_state.status |= bmdma::k_st_interrupt; }
    void reset();

    [[nodiscard]] State save() const { return m_state; }
    void restore(const State& state);

private:
    void write_byte(uint64_t offset, uint8_t value);
    void start();

    const GuestMemory& m_memory;
    State m_state;
    // The walk: next descriptor to read, and what is left of the current region.
    uint64_t m_next_entry = 0;
    uint64_t m_region = 0;
    uint32_t m_region_left = 0;
    bool m_end_of_table = false;
    bool m_mapped_to_end = false; // the last map() used the table up exactly
};

} // namespace vireo
