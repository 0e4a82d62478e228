#include "devices/ide/bus_master.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/log.h"

namespace vireo {

using namespace bmdma;

namespace {

struct PrdEntry {
    uint32_t address;
    uint16_t count;
    uint16_t flags;
};
static_assert(sizeof(PrdEntry) == k_prd_entry_size);

} // namespace

void BusMaster::read(uint64_t offset, std::span<uint8_t> data) const
{
    for (size_t i = 0; i < data.size(); ++i) {
        uint64_t at = offset + i;
        uint8_t value = 0;
        if (at == k_command)
            value = m_state.command & (k_cmd_start | k_cmd_to_memory);
        else if (at == k_status)
            value = m_state.status;
        else if (at >= k_prd_table && at < k_prd_table + 4)
            value = static_cast<uint8_t>(m_state.prd_table >> (8 * (at - k_prd_table)));
        data[i] = value;
    }
}

void BusMaster::write(uint64_t offset, std::span<const uint8_t> data)
{
    for (size_t i = 0; i < data.size(); ++i)
        write_byte(offset + i, data[i]);
}

void BusMaster::write_byte(uint64_t offset, uint8_t value)
{
    if (offset == k_command) {
        bool was_started = m_state.command & k_cmd_start;
        // The direction may not change while the engine runs (SFF-8038i §3.1).
        uint8_t direction = was_started ? m_state.command & k_cmd_to_memory : value & k_cmd_to_memory;
        m_state.command = static_cast<uint8_t>((value & k_cmd_start) | direction);
        if ((value & k_cmd_start) && !was_started)
            start();
        else if (!(value & k_cmd_start))
            m_state.status &= static_cast<uint8_t>(~k_st_active); // stop: the transfer is abandoned
    } else if (offset == k_status) {
        // Error and Interrupt are write-one-to-clear; the drive DMA-capable bits are plain storage.
        uint8_t cleared = value & (k_st_error | k_st_interrupt);
        uint8_t capable = value & (k_st_drive0_dma | k_st_drive1_dma);
        m_state.status = static_cast<uint8_t>((m_state.status & k_st_active)
            | (m_state.status & (k_st_error | k_st_interrupt) & ~cleared) | capable);
    } else if (offset >= k_prd_table && offset < k_prd_table + 4) {
        unsigned shift = static_cast<unsigned>(8 * (offset - k_prd_table));
        m_state.prd_table = (m_state.prd_table & ~(0xffU << shift)) | uint32_t { value } << shift;
        m_state.prd_table &= ~3U; // dword aligned
    }
}

void BusMaster::start()
{
    m_state.status |= k_st_active;
    m_next_entry = m_state.prd_table;
    m_region = 0;
    m_region_left = 0;
    m_end_of_table = false;
    m_mapped_to_end = false;
}

void BusMaster::reset()
{
    m_state = State {};
    m_region_left = 0;
    m_end_of_table = false;
    m_mapped_to_end = false;
}

void BusMaster::restore(const State& state)
{
    m_state = state;
    m_state.prd_table &= ~3U;
    // A transfer in progress is not carried over: restart the walk from the table.
    if (active())
        start();
}

BusMaster::Outcome BusMaster::transfer(std::span<uint8_t> buffer, DmaDirection direction)
{
    std::vector<std::span<uint8_t>> regions;
    Outcome outcome = map(buffer.size(), regions);
    if (outcome != Outcome::Done)
        return outcome;
    size_t position = 0;
    for (auto host : regions) {
        if (direction == DmaDirection::ToMemory)
            std::memcpy(host.data(), buffer.data() + position, host.size());
        else
            std::memcpy(buffer.data() + position, host.data(), host.size());
        position += host.size();
    }
    finish_mapped();
    return Outcome::Done;
}

void BusMaster::finish_mapped()
{
    if (m_mapped_to_end)
        m_state.status &= static_cast<uint8_t>(~k_st_active); // the table is used up exactly
    m_mapped_to_end = false;
}

BusMaster::Outcome BusMaster::map(size_t length, std::vector<std::span<uint8_t>>& regions)
{
    auto fault = [this]() {
        m_state.status = static_cast<uint8_t>((m_state.status & ~k_st_active) | k_st_error);
        return Outcome::Fault;
    };
    // Map the whole transfer first; nothing moves unless the table covers it.
    regions.clear();
    uint64_t next_entry = m_next_entry;
    uint64_t region = m_region;
    uint32_t region_left = m_region_left;
    bool end_of_table = m_end_of_table;
    size_t mapped = 0;
    while (mapped < length) {
        if (region_left == 0) {
            if (end_of_table) {
                m_state.status &= static_cast<uint8_t>(~k_st_active);
                return Outcome::ShortTable;
            }
            if (next_entry != m_state.prd_table && next_entry % k_prd_table_boundary == 0) {
                VIREO_GUEST_WARN("IDE bus master: PRD table at {:#x} crosses 64 KiB without EOT", m_state.prd_table);
                return fault();
            }
            auto entry = m_memory.read_obj<PrdEntry>(next_entry);
            if (!entry) {
                VIREO_GUEST_WARN("IDE bus master: PRD entry at {:#x} is outside RAM", next_entry);
                return fault();
            }
            next_entry += k_prd_entry_size;
            // Bit 0 of address and count is reserved zero; a count of 0 means 64 KiB (§1.2).
            region = entry->address & ~1U;
            region_left = entry->count & 0xfffe;
            if (region_left == 0)
                region_left = 0x10000;
            end_of_table = entry->flags & k_prd_eot;
        }
        uint32_t piece = static_cast<uint32_t>(std::min<size_t>(region_left, length - mapped));
        auto host = m_memory.slice(region, piece);
        if (!host) {
            VIREO_GUEST_WARN("IDE bus master: region {:#x}+{:#x} is outside RAM", region, piece);
            return fault();
        }
        // Contiguous regions (a table of 4 KiB pages that happen to follow each other) become one.
        if (!regions.empty() && regions.back().data() + regions.back().size() == host->data())
            regions.back() = std::span(regions.back().data(), regions.back().size() + piece);
        else
            regions.push_back(*host);
        mapped += piece;
        region += piece;
        region_left -= piece;
    }
    m_next_entry = next_entry;
    m_region = region;
    m_region_left = region_left;
    m_end_of_table = end_of_table;
    m_mapped_to_end = region_left == 0 && end_of_table;
    return Outcome::Done;
}

} // namespace vireo
