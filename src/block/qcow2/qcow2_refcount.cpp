// Refcounts and cluster allocation of the qcow2 engine (qcow2.txt "Host cluster management").
#include <algorithm>
#include <cerrno>

#include "block/aligned_io.h"
#include "block/qcow2/qcow2_core.h"

namespace vireo::qcow2 {

namespace {
std::unexpected<Error> io_error(int err, const char* what) { return std::unexpected(Error { err < 0 ? -err : err, what }); }
} // namespace

// Entry widths below 8 bits count from the least significant bit of each byte; wider
// entries are big-endian.
uint64_t Qcow2Core::refcount_entry(const std::vector<uint8_t>& block, uint64_t index) const
{
    uint64_t bits = 1ULL << m_header.refcount_order;
    if (bits < 8) {
        uint64_t bit = index * bits;
        return (block[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    uint64_t bytes = bits / 8;
    uint64_t value = 0;
    for (uint64_t i = 0; i < bytes; ++i)
        value = (value << 8) | block[index * bytes + i];
    return value;
}

void Qcow2Core::store_refcount_entry(std::vector<uint8_t>& block, uint64_t index, uint64_t value) const
{
    uint64_t bits = 1ULL << m_header.refcount_order;
    if (bits < 8) {
        uint64_t bit = index * bits;
        uint8_t mask = static_cast<uint8_t>(((1u << bits) - 1) << (bit % 8));
        block[bit / 8] = static_cast<uint8_t>((block[bit / 8] & ~mask) | ((value << (bit % 8)) & mask));
        return;
    }
    uint64_t bytes = bits / 8;
    for (uint64_t i = 0; i < bytes; ++i)
        block[index * bytes + i] = static_cast<uint8_t>(value >> (8 * (bytes - 1 - i)));
}

Result<Qcow2Core::RefBlock> Qcow2Core::load_refblock(uint64_t offset)
{
    if (!valid_host_cluster(offset))
        return io_error(EIO, "refcount block offset invalid");
    if (auto dirty = m_dirty_refblocks.find(offset); dirty != m_dirty_refblocks.end())
        return dirty->second;
    if (auto block = m_refblock_cache.find(offset))
        return block;
    auto block = std::make_shared<std::vector<uint8_t>>(m_cluster_size);
    if (int err = pread_aligned(m_fd.get(), m_alignment, *block, offset); err < 0)
        return io_error(err, "read refcount block");
    m_refblock_cache.insert(offset, block);
    return block;
}

Result<uint64_t> Qcow2Core::get_refcount(uint64_t cluster)
{
    uint64_t table_index = cluster / refblock_entries();
    if (table_index >= m_refcount_table.size())
        return 0;
    uint64_t block_offset = m_refcount_table[table_index] & k_offset_mask;
    if (block_offset == 0)
        return 0;
    auto block = TRY(load_refblock(block_offset));
    return refcount_entry(*block, cluster % refblock_entries());
}

int Qcow2Core::set_refcount(uint64_t cluster, uint64_t value, Range reserved)
{
    uint64_t entries = refblock_entries();
    uint64_t table_index = cluster / entries;
    if (table_index >= m_refcount_table.size()) {
        if (int err = grow_refcount_table(table_index, reserved); err < 0)
            return err;
    }
    uint64_t block_offset = m_refcount_table[table_index] & k_offset_mask;
    if (block_offset == 0) {
        auto created = create_refblock(table_index, reserved);
        if (!created)
            return -created.error().code;
        block_offset = *created;
    }
    auto block = load_refblock(block_offset);
    if (!block)
        return -EIO;
    store_refcount_entry(**block, cluster % entries, value);
    // Written back in phase 1 of writeback(), before any L2 entry that depends on it.
    m_dirty_refblocks[block_offset] = *block;
    return 0;
}

int Qcow2Core::decrement_refcount(uint64_t cluster)
{
    auto refcount = get_refcount(cluster);
    if (!refcount)
        return -EIO;
    if (*refcount == 0)
        return -EIO; // already free: metadata is inconsistent; leave it alone
    if (int err = set_refcount(cluster, *refcount - 1, {}); err < 0)
        return err;
    if (*refcount == 1) {
        m_free_hint = std::min(m_free_hint, cluster);
        forget_cluster(cluster * m_cluster_size);
    }
    return 0;
}

int Qcow2Core::free_byte_range(uint64_t offset, uint64_t length)
{
    if (length == 0)
        return 0;
    uint64_t first = offset / m_cluster_size;
    uint64_t last = (offset + length - 1) / m_cluster_size;
    for (uint64_t cluster = first; cluster <= last; ++cluster) {
        if (cluster == 0 || cluster >= m_end_cluster)
            return -EIO;
        if (int err = decrement_refcount(cluster); err < 0)
            return err;
    }
    return 0;
}

// A missing refcount block for table_index: every cluster it would cover has refcount 0,
// so the block can live in the first of them (outside the range being allocated), counting
// itself. Written and flushed before the table entry that points to it.
Result<uint64_t> Qcow2Core::create_refblock(uint64_t table_index, Range reserved)
{
    uint64_t entries = refblock_entries();
    uint64_t candidate = table_index * entries;
    while (candidate == 0 || (candidate >= reserved.first && candidate < reserved.end))
        ++candidate;
    if (candidate >= (table_index + 1) * entries)
        return io_error(ENOSPC, "no room for a refcount block");
    auto block = std::make_shared<std::vector<uint8_t>>(m_cluster_size, 0);
    store_refcount_entry(*block, candidate % entries, 1);
    uint64_t offset = candidate * m_cluster_size;
    if (int err = write_at(*block, offset); err < 0)
        return io_error(err, "write refcount block");
    m_end_cluster = std::max(m_end_cluster, candidate + 1);
    if (int err = barrier(); err < 0)
        return io_error(err, "flush");
    uint8_t raw[8];
    store_be64(raw, offset);
    if (int err = write_at(raw, m_header.refcount_table_offset + table_index * 8); err < 0)
        return io_error(err, "write refcount table");
    m_refcount_table[table_index] = offset;
    m_refblock_cache.insert(offset, block);
    return offset;
}

// The refcount table is too short: build a larger one in a fresh region past everything in
// use, together with one refcount block (at the region's start) that counts the new table
// and itself; then switch the header to it and free the old table.
int Qcow2Core::grow_refcount_table(uint64_t table_index, Range reserved)
{
    uint64_t entries = refblock_entries();
    uint64_t end = std::max(m_end_cluster, reserved.end);
    uint64_t region_index = std::max<uint64_t>(m_refcount_table.size(), (end + entries - 1) / entries);
    uint64_t new_entries = std::max({ table_index + 1, region_index + 1, m_refcount_table.size() * 2 });
    uint64_t table_clusters = (new_entries * 8 + m_cluster_size - 1) / m_cluster_size;
    new_entries = table_clusters * m_cluster_size / 8;
    if (table_clusters + 1 > entries || table_clusters * m_cluster_size > k_max_refcount_table_bytes)
        return -ENOSPC;
    uint64_t base = region_index * entries;

    std::vector<uint8_t> block(m_cluster_size, 0);
    for (uint64_t i = 0; i <= table_clusters; ++i)
        store_refcount_entry(block, i, 1);
    std::vector<uint64_t> table(new_entries, 0);
    std::copy(m_refcount_table.begin(), m_refcount_table.end(), table.begin());
    table[region_index] = base * m_cluster_size;
    std::vector<uint8_t> raw(table_clusters * m_cluster_size, 0);
    for (size_t i = 0; i < table.size(); ++i)
        store_be64(raw.data() + i * 8, table[i]);

    uint64_t table_offset = (base + 1) * m_cluster_size;
    if (int err = write_at(block, base * m_cluster_size); err < 0)
        return err;
    if (int err = write_at(raw, table_offset); err < 0)
        return err;
    m_end_cluster = std::max(m_end_cluster, base + 1 + table_clusters);
    if (int err = barrier(); err < 0)
        return err;
    uint8_t fields[12];
    store_be64(fields, table_offset);
    store_be32(fields + 8, static_cast<uint32_t>(table_clusters));
    if (int err = write_at(fields, k_off_refcount_table_offset); err < 0)
        return err;
    if (int err = barrier(); err < 0)
        return err;

    uint64_t old_offset = m_header.refcount_table_offset;
    uint64_t old_clusters = m_header.refcount_table_clusters;
    m_header.refcount_table_offset = table_offset;
    m_header.refcount_table_clusters = static_cast<uint32_t>(table_clusters);
    m_refcount_table = std::move(table);
    m_refblock_cache.insert(base * m_cluster_size, std::make_shared<std::vector<uint8_t>>(std::move(block)));
    return free_byte_range(old_offset, old_clusters * m_cluster_size);
}

// Finds `count` contiguous free clusters (single clusters reuse holes; longer runs go at the
// end of the file) and sets their refcounts to 1.
Result<uint64_t> Qcow2Core::allocate_clusters(uint64_t count)
{
    if (read_only())
        return io_error(EROFS, "read-only");
    uint64_t first = m_end_cluster;
    if (count == 1) {
        for (uint64_t cluster = std::max<uint64_t>(m_free_hint, 1); cluster < m_end_cluster; ++cluster) {
            uint64_t refcount = TRY(get_refcount(cluster));
            if (refcount == 0) {
                first = cluster;
                break;
            }
        }
        m_free_hint = first + 1;
    }
    Range reserved { first, first + count };
    for (uint64_t cluster = first; cluster < first + count; ++cluster) {
        if (int err = set_refcount(cluster, 1, reserved); err < 0)
            return io_error(err, "set refcount");
    }
    m_end_cluster = std::max(m_end_cluster, first + count);
    for (uint64_t cluster = first; cluster < first + count; ++cluster)
        forget_cluster(cluster * m_cluster_size);
    return first * m_cluster_size;
}

} // namespace vireo::qcow2
