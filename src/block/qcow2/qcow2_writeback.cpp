// Write-back of dirty qcow2 metadata, ordered so that a crash leaves at worst leaked clusters
// (qcow2.txt "Host cluster management": a refcount may be too high, never too low).
#include <algorithm>
#include <cerrno>

#include "block/qcow2/qcow2_core.h"

namespace vireo::qcow2 {

namespace {
// Bounds on what a guest that never flushes leaves unwritten (a writeback costs one fdatasync).
constexpr size_t k_max_dirty_tables = 64;
constexpr uint64_t k_max_updates = 8192;
} // namespace

void Qcow2Core::mark_l2_dirty(uint64_t offset, const L2Table& table, bool is_new)
{
    m_dirty_l2[offset] = table;
    if (is_new)
        m_new_l2.insert(offset);
}

// A cluster that changes role (freed, or handed out afresh) must not be written back as the
// L2 table it once held.
void Qcow2Core::forget_cluster(uint64_t offset)
{
    m_l2_cache.erase(offset);
    m_dirty_l2.erase(offset);
    m_new_l2.erase(offset);
}

int Qcow2Core::write_table(uint64_t offset, const std::vector<uint64_t>& table)
{
    std::vector<uint8_t> raw(m_cluster_size);
    for (size_t i = 0; i < table.size(); ++i)
        store_be64(raw.data() + i * 8, table[i]);
    return write_at(raw, offset);
}

int Qcow2Core::write_refblocks()
{
    for (auto const& [offset, block] : m_dirty_refblocks) {
        if (int err = write_at(*block, offset); err < 0)
            return err;
    }
    m_dirty_refblocks.clear();
    return 0;
}

int Qcow2Core::writeback(Writeback mode)
{
    if (read_only())
        return 0;
    if (m_dirty_l2.empty() && m_dirty_refblocks.empty() && m_dirty_l1.empty())
        return mode == Writeback::Durable ? barrier() : 0;

    // 1. What nothing on disk points at yet: refcounts (only ever raised before this point;
    //    lowered only after the entries that pointed at the cluster were durable) and new
    //    L2 tables (no L1 entry on disk names them).
    if (int err = write_refblocks(); err < 0)
        return err;
    for (uint64_t offset : m_new_l2) {
        if (int err = write_table(offset, *m_dirty_l2.at(offset)); err < 0)
            return err;
    }
    // 2. Those, and the data of every completed write, reach the disk.
    if (int err = barrier(); err < 0)
        return err;
    // 3. The entries that point at them.
    for (auto const& [offset, table] : m_dirty_l2) {
        if (m_new_l2.contains(offset))
            continue;
        if (int err = write_table(offset, *table); err < 0)
            return err;
    }
    if (!m_dirty_l1.empty()) {
        uint64_t first = *m_dirty_l1.begin();
        uint64_t last = *m_dirty_l1.rbegin();
        std::vector<uint8_t> raw((last - first + 1) * 8);
        for (uint64_t i = first; i <= last; ++i)
            store_be64(raw.data() + (i - first) * 8, m_l1[i]);
        if (int err = write_at(raw, m_header.l1_table_offset + first * 8); err < 0)
            return err;
    }
    m_dirty_l2.clear();
    m_new_l2.clear();
    m_dirty_l1.clear();
    m_updates = 0;
    return mode == Writeback::Durable ? barrier() : 0;
}

int Qcow2Core::writeback_if_large()
{
    if (m_dirty_l2.size() + m_dirty_refblocks.size() > k_max_dirty_tables || m_updates > k_max_updates)
        return writeback(Writeback::Ordered);
    return 0;
}

} // namespace vireo::qcow2
