// Cluster mapping, reads and writes of the qcow2 engine (qcow2.txt "Cluster mapping").
#include "block/qcow2/qcow2_core.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/log.h"
#include "block/aligned_io.h"
#include "block/io_engine.h"
#include "block/iov_util.h"
#include "block/qcow2/qcow2_compress.h"
#include "block/qcow2/qcow2_copy.h"
#include "block/qcow2/qcow2_header.h"
#include "block/qcow2/qcow2_unlocked.h"

namespace vireo::qcow2 {

namespace {

// Cache budgets: L2 tables for the whole disk up to 32 MiB (64 KiB clusters: 256 GiB mapped,
// so reads never go to the disk for metadata), 4 tables at least; 1 MiB of refcount blocks.
size_t l2_cache_tables(const Header& h)
{
    uint64_t cluster_size = h.cluster_size();
    uint64_t covered = cluster_size / 8 * cluster_size; // bytes one table maps
    uint64_t needed = (h.size + covered - 1) / covered;
    return std::max<uint64_t>(4, std::min<uint64_t>(needed, (32ULL << 20) / cluster_size));
}
size_t cache_tables(uint64_t cluster_size, uint64_t budget) { return std::max<uint64_t>(4, budget / cluster_size); }

} // namespace

Qcow2Core::Qcow2Core(UniqueFd fd, Header header, std::string name, Access access, std::unique_ptr<SyncImage> backing,
    MetadataSync sync, uint64_t file_size)
    : m_fd(std::move(fd))
    , m_header(std::move(header))
    , m_name(std::move(name))
    , m_access(access)
    , m_backing(std::move(backing))
    , m_sync(sync)
    , m_cluster_size(m_header.cluster_size())
    , m_end_cluster((file_size + m_cluster_size - 1) / m_cluster_size)
    , m_l2_cache(l2_cache_tables(m_header))
    , m_refblock_cache(cache_tables(m_cluster_size, 1 << 20))
    , m_file_end(file_size)
    , m_alignment(direct_io_alignment(m_fd.get()))
{
    int flags = ::fcntl(m_fd.get(), F_GETFL);
    m_write_through = flags >= 0 && (flags & O_DSYNC) == O_DSYNC;
}

Qcow2Core::~Qcow2Core()
{
    m_io_lock = nullptr;
    if (!read_only() && dirty_tables() > 0)
        writeback(Writeback::Durable);
}

Result<std::unique_ptr<Qcow2Core>> Qcow2Core::open(UniqueFd fd, Header header, const std::string& name, Access access,
    std::unique_ptr<SyncImage> backing, MetadataSync sync)
{
    auto size = TRY(file_size(fd.get()));
    if (access == Access::ReadWrite) {
        if (header.incompatible_features & k_incompat_corrupt)
            return make_error("{}: image is marked corrupt; it can only be opened read-only (qemu-img check -r all repairs it)", name);
        // A dirty image (lazy refcounts, not closed cleanly) may have refcounts too low;
        // writing to it before a repair could hand out clusters still in use.
        if (header.incompatible_features & k_incompat_dirty)
            return make_error("{}: image was not closed cleanly and its refcounts need a repair (run 'qemu-img check -r all')", name);
    }
    std::unique_ptr<Qcow2Core> core(new Qcow2Core(std::move(fd), std::move(header), name, access, std::move(backing), sync, size));
    auto& h = core->m_header;

    core->m_l1.resize(h.l1_size);
    if (h.l1_size > 0) {
        std::vector<uint8_t> raw(uint64_t(h.l1_size) * 8);
        if (int err = pread_aligned(core->m_fd.get(), core->m_alignment, raw, h.l1_table_offset); err < 0) {
            errno = -err;
            return errno_error("{}: cannot read the L1 table", name);
        }
        for (size_t i = 0; i < h.l1_size; ++i)
            core->m_l1[i] = load_be64(raw.data() + i * 8);
    }
    uint64_t table_bytes = uint64_t(h.refcount_table_clusters) * core->m_cluster_size;
    std::vector<uint8_t> raw(table_bytes);
    if (int err = pread_aligned(core->m_fd.get(), core->m_alignment, raw, h.refcount_table_offset); err < 0) {
        errno = -err;
        return errno_error("{}: cannot read the refcount table", name);
    }
    core->m_refcount_table.resize(table_bytes / 8);
    for (size_t i = 0; i < core->m_refcount_table.size(); ++i)
        core->m_refcount_table[i] = load_be64(raw.data() + i * 8);
    return core;
}

bool Qcow2Core::valid_host_cluster(uint64_t offset) const
{
    return offset != 0 && offset % m_cluster_size == 0 && offset / m_cluster_size < m_end_cluster;
}

int Qcow2Core::barrier()
{
    if (m_sync == MetadataSync::None)
        return 0;
    int err = 0;
    {
        Unlocked unlocked(m_io_lock);
        err = ::fdatasync(m_fd.get()) < 0 ? -errno : 0;
    }
    if (err == 0 && m_observer)
        m_observer->synced();
    return err;
}

int Qcow2Core::write_at(std::span<const uint8_t> data, uint64_t offset)
{
    if (read_only())
        return -EROFS;
    int err = pwrite_aligned(m_fd.get(), m_alignment, data, offset);
    if (err == 0) {
        m_file_end = std::max<uint64_t>(m_file_end, offset + data.size());
        if (m_observer)
            m_observer->wrote(offset, data);
    }
    return err;
}

int Qcow2Core::flush()
{
    if (read_only())
        return 0;
    return writeback(Writeback::Durable);
}

// Before the first change: clear the autoclear bits (we keep no bitmap up to date, and the
// spec says unknown autoclear bits must be cleared before writing).
int Qcow2Core::prepare_for_write()
{
    if (read_only())
        return -EROFS;
    if (m_prepared_for_write)
        return 0;
    if (m_header.version >= 3 && m_header.autoclear_features != 0) {
        uint8_t zero[8] {};
        if (int err = write_at(zero, k_off_autoclear); err < 0)
            return err;
        if (int err = barrier(); err < 0)
            return err;
        m_header.autoclear_features = 0;
    }
    m_prepared_for_write = true;
    return 0;
}

// A table in memory (dirty or cached), or null.
Qcow2Core::L2Table Qcow2Core::cached_l2(uint64_t offset)
{
    if (auto dirty = m_dirty_l2.find(offset); dirty != m_dirty_l2.end())
        return dirty->second;
    return m_l2_cache.find(offset);
}

// The L2 entry of a guest cluster from memory: 0 when its L1 slot is empty, nullopt when its
// table would have to be read from the file.
std::optional<uint64_t> Qcow2Core::cached_l2_entry(uint64_t cluster)
{
    uint64_t l1_index = cluster / l2_entries();
    if (l1_index >= m_l1.size() || (m_l1[l1_index] & k_offset_mask) == 0)
        return 0;
    auto table = cached_l2(m_l1[l1_index] & k_offset_mask);
    if (!table)
        return std::nullopt;
    return (*table)[cluster % l2_entries()];
}

Result<Qcow2Core::L2Table> Qcow2Core::load_l2(uint64_t offset)
{
    if (!valid_host_cluster(offset))
        return std::unexpected(Error { EIO, fmt::format("{}: L2 table offset 0x{:x} invalid", m_name, offset) });
    if (auto dirty = m_dirty_l2.find(offset); dirty != m_dirty_l2.end()) {
        if (m_l2_cache.find(offset) != dirty->second)
            m_l2_cache.insert(offset, dirty->second);
        return dirty->second;
    }
    if (auto table = m_l2_cache.find(offset))
        return table;
    std::vector<uint8_t> raw(m_cluster_size);
    if (int err = pread_aligned(m_fd.get(), m_alignment, raw, offset); err < 0)
        return std::unexpected(Error { -err, "read L2 table" });
    auto table = std::make_shared<std::vector<uint64_t>>(l2_entries());
    for (size_t i = 0; i < table->size(); ++i)
        (*table)[i] = load_be64(raw.data() + i * 8);
    m_l2_cache.insert(offset, table);
    return table;
}

Result<std::optional<Qcow2Core::L2Ref>> Qcow2Core::find_l2(uint64_t l1_index)
{
    if (l1_index >= m_l1.size())
        return std::optional<L2Ref> {};
    uint64_t offset = m_l1[l1_index] & k_offset_mask;
    if (offset == 0)
        return std::optional<L2Ref> {};
    auto table = TRY(load_l2(offset));
    return std::optional<L2Ref> { L2Ref { offset, std::move(table) } };
}

// Write-back: the entry reaches the file in phase 3 of the next writeback().
void Qcow2Core::set_l1_entry(uint64_t index, uint64_t entry)
{
    m_l1[index] = entry;
    m_dirty_l1.insert(index);
    ++m_updates;
}

// Write-through, for the structural changes that order each step with fdatasync.
int Qcow2Core::write_l1_entry(uint64_t index, uint64_t entry)
{
    uint8_t raw[8];
    store_be64(raw, entry);
    if (int err = write_at(raw, m_header.l1_table_offset + index * 8); err < 0)
        return err;
    m_l1[index] = entry;
    m_dirty_l1.erase(index);
    return 0;
}

int Qcow2Core::set_l2_entry(const L2Ref& l2, uint64_t index, uint64_t entry)
{
    // The table in memory is the truth: l2.table may have been evicted and reloaded since.
    auto table = load_l2(l2.offset);
    if (!table)
        return -EIO;
    (**table)[index] = entry;
    if (*table != l2.table)
        (*l2.table)[index] = entry;
    mark_l2_dirty(l2.offset, *table, false);
    ++m_updates;
    return 0;
}

// Returns an L2 table that may be modified in place: allocated, and referenced only by the
// active L1 (refcount 1, COPIED set); shared tables (internal snapshots) are copied first.
Result<Qcow2Core::L2Ref> Qcow2Core::l2_for_write(uint64_t l1_index)
{
    auto fail = [](int err) { return std::unexpected(Error { -err, "L2 update" }); };
    if (l1_index >= m_l1.size()) {
        if (int err = grow_l1(l1_index + 1); err < 0)
            return fail(err);
    }
    uint64_t l1_entry = m_l1[l1_index];
    uint64_t old_offset = l1_entry & k_offset_mask;
    if (old_offset != 0) {
        auto table = TRY(load_l2(old_offset));
        if (l1_entry & k_copied)
            return L2Ref { old_offset, table };
        uint64_t refcount = TRY(get_refcount(old_offset / m_cluster_size));
        if (refcount == 1) {
            set_l1_entry(l1_index, old_offset | k_copied);
            return L2Ref { old_offset, table };
        }
    }

    if (old_offset == 0) {
        // A new, empty table: written in phase 1 of the next writeback, before the L1 entry.
        auto table = std::make_shared<std::vector<uint64_t>>(l2_entries(), 0);
        uint64_t new_offset = TRY(allocate_clusters(1));
        m_l2_cache.insert(new_offset, table);
        mark_l2_dirty(new_offset, table, true);
        set_l1_entry(l1_index, new_offset | k_copied);
        return L2Ref { new_offset, table };
    }

    // A copy of a table shared with an internal snapshot (rare): everything durable first,
    // then copy, fdatasync, switch the L1 entry, fdatasync, drop the old reference.
    if (int err = writeback(Writeback::Durable); err < 0)
        return fail(err);
    auto table = std::make_shared<std::vector<uint64_t>>(*TRY(load_l2(old_offset)));
    uint64_t new_offset = TRY(allocate_clusters(1));
    if (int err = write_table(new_offset, *table); err < 0)
        return fail(err);
    if (int err = write_refblocks(); err < 0)
        return fail(err);
    if (int err = barrier(); err < 0)
        return fail(err);
    m_l2_cache.insert(new_offset, table);
    if (int err = write_l1_entry(l1_index, new_offset | k_copied); err < 0)
        return fail(err);
    if (int err = barrier(); err < 0)
        return fail(err);
    if (int err = decrement_refcount(old_offset / m_cluster_size); err < 0)
        return fail(err);
    return L2Ref { new_offset, table };
}

// The L1 table must cover the virtual size; an image whose L1 is shorter gets a new, larger
// one: written elsewhere, then the header switched to it, then the old one freed.
int Qcow2Core::grow_l1(uint64_t min_entries)
{
    uint64_t entries = std::max(min_entries, l1_entries_for(m_header.size, m_header.cluster_bits));
    if (entries <= m_l1.size())
        return 0;
    if (entries * 8 > k_max_l1_bytes)
        return -EFBIG;
    // The new table copies the L1 in memory: what it points at must be durable first.
    if (int err = writeback(Writeback::Durable); err < 0)
        return err;
    uint64_t clusters = (entries * 8 + m_cluster_size - 1) / m_cluster_size;
    auto allocated = allocate_clusters(clusters);
    if (!allocated)
        return -allocated.error().code;
    uint64_t new_offset = *allocated;
    std::vector<uint8_t> raw(clusters * m_cluster_size, 0);
    for (size_t i = 0; i < m_l1.size(); ++i)
        store_be64(raw.data() + i * 8, m_l1[i]);
    if (int err = write_at(raw, new_offset); err < 0)
        return err;
    if (int err = write_refblocks(); err < 0)
        return err;
    if (int err = barrier(); err < 0)
        return err;
    uint8_t fields[12];
    store_be32(fields, static_cast<uint32_t>(entries));
    store_be64(fields + 4, new_offset);
    if (int err = write_at(fields, k_off_l1_size); err < 0)
        return err;
    if (int err = barrier(); err < 0)
        return err;
    uint64_t old_offset = m_header.l1_table_offset;
    uint64_t old_bytes = m_l1.size() * 8;
    m_header.l1_table_offset = new_offset;
    m_header.l1_size = static_cast<uint32_t>(entries);
    m_l1.resize(entries, 0);
    if (old_bytes > 0)
        return free_byte_range(old_offset, old_bytes);
    return 0;
}

// Drops one reference to what an L2 entry pointed at (a standard or compressed cluster).
int Qcow2Core::release_entry(uint64_t entry)
{
    if (entry & k_compressed) {
        uint32_t shift = 62 - (m_header.cluster_bits - 8);
        uint64_t offset = entry & ((1ULL << shift) - 1) & ((1ULL << 56) - 1);
        uint64_t sectors = ((entry & ~(k_copied | k_compressed)) >> shift) + 1;
        uint64_t start = offset & ~511ULL;
        return free_byte_range(start, sectors * 512);
    }
    uint64_t host = entry & k_offset_mask;
    if (host == 0)
        return 0;
    if (!valid_host_cluster(host))
        return -EIO;
    return decrement_refcount(host / m_cluster_size);
}

int Qcow2Core::read_compressed(uint64_t entry, std::span<uint8_t> out)
{
    if (entry == m_compressed_entry && m_compressed_data.size() == out.size()) {
        std::memcpy(out.data(), m_compressed_data.data(), out.size());
        return 0;
    }
    uint32_t shift = 62 - (m_header.cluster_bits - 8);
    uint64_t offset = entry & ((1ULL << shift) - 1) & ((1ULL << 56) - 1);
    uint64_t sectors = ((entry & ~(k_copied | k_compressed)) >> shift) + 1;
    uint64_t length = sectors * 512 - (offset & 511);
    if (offset == 0 || offset / m_cluster_size >= m_end_cluster)
        return -EIO;
    std::vector<uint8_t> in(length);
    if (int err = pread_aligned(m_fd.get(), m_alignment, in, offset); err < 0)
        return err;
    if (int err = decompress_cluster(m_header.compression_type, in, out); err < 0)
        return err;
    m_compressed_entry = entry;
    m_compressed_data.assign(out.begin(), out.end());
    return 0;
}

int Qcow2Core::read(uint64_t offset, std::span<uint8_t> buffer)
{
    // As a backing file: bytes past the virtual size read as zeros.
    uint64_t inside = offset >= size() ? 0 : std::min<uint64_t>(buffer.size(), size() - offset);
    std::memset(buffer.data() + inside, 0, buffer.size() - inside);
    if (inside == 0)
        return 0;
    return readv(offset, { { buffer.data(), inside } });
}

int Qcow2Core::readv(uint64_t offset, const std::vector<iovec>& iov)
{
    int err = 0;
    for_each_cluster_piece(offset, iov_length(iov), [&](const ClusterPiece& piece) {
        err = read_cluster_part(piece.guest, iov_slice(iov, piece.done, piece.length));
        return err >= 0;
    });
    return std::min(err, 0);
}

bool Qcow2Core::map_for_read(uint64_t offset, uint64_t length, std::vector<HostExtent>& out)
{
    uint64_t inside = offset >= size() ? 0 : std::min(length, size() - offset);
    bool mapped = for_each_cluster_piece(offset, inside, [&](const ClusterPiece& piece) {
        auto cached = cached_l2_entry(piece.cluster);
        if (!cached)
            return false;
        uint64_t entry = *cached;
        uint64_t host = entry & k_offset_mask;
        if (entry & k_compressed)
            return false;
        if ((entry & k_zero) || (host == 0 && !m_backing))
            append_extent(out, { -1, 0, piece.length });
        else if (host == 0)
            return m_backing->map_for_read(piece.guest, piece.length, out);
        else if (!valid_host_cluster(host))
            return false; // the slow path reports -EIO
        else
            append_extent(out, { m_fd.get(), host + piece.in_cluster, piece.length, m_alignment });
        return true;
    });
    if (!mapped)
        return false;
    if (inside < length)
        append_extent(out, { -1, 0, length - inside });
    return true;
}

bool Qcow2Core::map_for_write(uint64_t offset, uint64_t length, std::vector<HostExtent>& out)
{
    if (read_only() || !m_prepared_for_write)
        return false;
    return for_each_cluster_piece(offset, length, [&](const ClusterPiece& piece) {
        auto cached = cached_l2_entry(piece.cluster);
        if (!cached)
            return false;
        uint64_t entry = *cached; // 0 (no L2 table) fails the COPIED test below
        uint64_t host = entry & k_offset_mask;
        if (!(entry & k_copied) || (entry & (k_compressed | k_zero)) || !valid_host_cluster(host)
            || host == m_header.l1_table_offset || host == m_header.refcount_table_offset)
            return false;
        append_extent(out, { m_fd.get(), host + piece.in_cluster, piece.length, m_alignment });
        return true;
    });
}

int Qcow2Core::read_cluster_part(uint64_t guest, std::vector<iovec> iov)
{
    uint64_t cluster = guest / m_cluster_size;
    uint64_t in_cluster = guest % m_cluster_size;
    uint64_t length = iov_length(iov);
    auto l2 = find_l2(cluster / l2_entries());
    if (!l2)
        return -EIO;
    uint64_t entry = *l2 ? (*l2)->table->at(cluster % l2_entries()) : 0;

    if (entry & k_compressed) {
        std::vector<uint8_t> data(m_cluster_size);
        if (int err = read_compressed(entry, data); err < 0)
            return err;
        buffer_to_iov(std::span(data).subspan(in_cluster, length), iov, 0);
        return 0;
    }
    if (entry & k_zero) {
        iov_zero(iov);
        return 0;
    }
    uint64_t host = entry & k_offset_mask;
    if (host == 0) {
        // Unallocated: the backing file, or zeros without one.
        if (!m_backing) {
            iov_zero(iov);
            return 0;
        }
        std::vector<uint8_t> data(length);
        if (int err = m_backing->read(guest, data); err < 0)
            return err;
        buffer_to_iov(data, iov, 0);
        return 0;
    }
    if (host % m_cluster_size != 0)
        return -EIO;
    return readv_aligned(m_fd.get(), m_alignment, iov, host + in_cluster);
}

int Qcow2Core::writev(uint64_t offset, const std::vector<iovec>& iov)
{
    WriteRequest request { offset, &iov };
    int result = 0;
    writev_batch({ &request, 1 }, { &result, 1 });
    return result;
}

void Qcow2Core::writev_batch(std::span<const WriteRequest> requests, std::span<int> results)
{
    int prepared = prepare_for_write();
    m_request_errors.assign(requests.size(), 0);
    for (size_t i = 0; i < requests.size(); ++i)
        results[i] = prepared < 0 ? prepared : write_parts(requests[i].offset, *requests[i].iov, i);
    // The copies of all requests run here, together; then one decision on the metadata.
    int err = end_of_request(commit_pending(0));
    for (size_t i = 0; i < requests.size(); ++i) {
        if (results[i] == 0)
            results[i] = err < 0 ? err : m_request_errors[i];
    }
    m_request_errors.clear();
}

// Maps or allocates the clusters of one request; new clusters are only planned (m_copies).
int Qcow2Core::write_parts(uint64_t offset, const std::vector<iovec>& iov, size_t request)
{
    uint64_t length = iov_length(iov);
    AlignedBuffer buffer(std::min(length, m_cluster_size)); // aligned: O_DIRECT takes it as it is
    uint64_t done = 0;
    while (done < length) {
        uint64_t guest = offset + done;
        uint64_t chunk = std::min(length - done, m_cluster_size - guest % m_cluster_size);
        auto data = buffer.span().first(chunk);
        iov_to_buffer(iov, done, data);
        // A cluster of this batch still being allocated: finish that first, then write into it.
        if (m_pending_clusters.contains(guest / m_cluster_size) || m_pending.size() >= 256) {
            if (int err = commit_pending(0); err < 0)
                return err;
        }
        if (int err = write_cluster_part(guest, data, request); err < 0)
            return err;
        done += chunk;
    }
    return 0;
}

// Keeps the dirty metadata bounded and, with O_DSYNC (cache=writethrough), makes each
// completed request durable like its data.
int Qcow2Core::end_of_request(int status)
{
    if (status < 0)
        return status;
    if (m_write_through)
        return writeback(Writeback::Durable);
    return writeback_if_large();
}

// The current contents of a guest cluster, for merging a partial write into a new cluster.
int Qcow2Core::fill_cluster_base(uint64_t guest_cluster, uint64_t entry, std::span<uint8_t> out)
{
    if (entry & k_compressed)
        return read_compressed(entry, out);
    if (entry & k_zero) {
        std::memset(out.data(), 0, out.size());
        return 0;
    }
    uint64_t host = entry & k_offset_mask;
    if (host != 0)
        return pread_aligned(m_fd.get(), m_alignment, out, host);
    if (m_backing)
        return m_backing->read(guest_cluster * m_cluster_size, out);
    std::memset(out.data(), 0, out.size());
    return 0;
}

int Qcow2Core::write_cluster_part(uint64_t guest, std::span<const uint8_t> data, size_t request)
{
    uint64_t cluster = guest / m_cluster_size;
    uint64_t in_cluster = guest % m_cluster_size;
    auto l2 = l2_for_write(cluster / l2_entries());
    if (!l2)
        return -(l2.error().code ? l2.error().code : EIO);
    uint64_t index = cluster % l2_entries();
    uint64_t entry = l2->table->at(index);
    uint64_t host = entry & k_offset_mask;
    bool standard = !(entry & k_compressed);

    if (standard && host != 0) {
        if (!valid_host_cluster(host) || host == m_header.l1_table_offset || host == m_header.refcount_table_offset)
            return -EIO;
        bool exclusive = entry & k_copied;
        if (!exclusive) {
            auto refcount = get_refcount(host / m_cluster_size);
            if (!refcount)
                return -EIO;
            exclusive = *refcount == 1;
        }
        if (exclusive) {
            if (entry & k_zero) {
                // Preallocated zero cluster: the rest of it must read as zeros afterwards. The
                // entry loses its zero flag at the next writeback, after an fdatasync.
                AlignedBuffer full(m_cluster_size);
                std::memset(full.data(), 0, m_cluster_size);
                std::memcpy(full.data() + in_cluster, data.data(), data.size());
                if (int err = write_at(full.span(), host); err < 0)
                    return err;
            } else if (int err = write_at(data, host + in_cluster); err < 0) {
                return err;
            }
            uint64_t wanted = host | k_copied;
            if (entry != wanted)
                return set_l2_entry(*l2, index, wanted);
            return 0;
        }
    }

    // Copy on write into a new cluster: unallocated (backing), zero, compressed or shared.
    auto allocated = allocate_clusters(1);
    if (!allocated)
        return -(allocated.error().code ? allocated.error().code : EIO);
    // The data goes out later, with the other copies of the batch (run_copies).
    auto job = std::make_unique<CopyJob>();
    bool base_is_zero = (entry & k_zero) || (host == 0 && standard && !m_backing);
    if (base_is_zero && *allocated >= m_file_end) {
        // Past everything ever written: the rest of the cluster is a hole and reads as zeros.
        job->buffer = AlignedBuffer(data.size());
        job->write_offset = *allocated + in_cluster;
        std::memcpy(job->buffer.data(), data.data(), data.size());
    } else {
        job->buffer = AlignedBuffer(m_cluster_size);
        job->write_offset = *allocated;
        if (data.size() != m_cluster_size && !plan_base_read(cluster, entry, *job)) {
            if (int err = fill_cluster_base(cluster, entry, job->buffer.span()); err < 0)
                return err;
        }
        if (job->reads.empty())
            std::memcpy(job->buffer.data() + in_cluster, data.data(), data.size());
        else {
            job->data.assign(data.begin(), data.end());
            job->data_position = in_cluster;
        }
    }
    m_pending.push_back({ *l2, index, *allocated | k_copied, entry, request, job.get() });
    m_pending_clusters.insert(cluster);
    m_copies.push_back(std::move(job));
    return 0;
}

// Points the L2 entries at the new clusters of this request (in memory: writeback() orders
// them after the data and refcounts). What they pointed at before is released once the new
// entries are durable. Returns status, or the first error of its own.
int Qcow2Core::commit_pending(int status)
{
    if (m_pending.empty())
        return status;
    auto copies = run_copies();
    auto pending = std::move(m_pending);
    m_pending.clear();
    m_pending_clusters.clear();
    int err = 0;
    for (auto const& p : pending) {
        if (p.job && p.job->result < 0) {
            // The new cluster stays unreferenced (leaked, like after a crash); the request fails.
            if (p.request < m_request_errors.size() && m_request_errors[p.request] == 0)
                m_request_errors[p.request] = p.job->result;
            else if (m_request_errors.empty() && status == 0)
                status = p.job->result;
            continue;
        }
        if (err == 0)
            err = set_l2_entry(p.l2, p.index, p.entry);
        if (err == 0 && ((p.old_entry & k_compressed) || (p.old_entry & k_offset_mask)))
            m_releases.push_back(p.old_entry);
    }
    err = finish_releases(err);
    return status < 0 ? status : err;
}

// Drops the references that replaced or removed L2 entries held: only after those entries
// are durable, so no crash leaves an entry pointing at a cluster counted free.
int Qcow2Core::finish_releases(int status)
{
    if (m_releases.empty())
        return status;
    auto releases = std::move(m_releases);
    m_releases.clear();
    int err = status < 0 ? status : writeback(Writeback::Durable);
    for (uint64_t entry : releases) {
        if (err == 0)
            err = release_entry(entry);
    }
    return err;
}

int Qcow2Core::zero_cluster(uint64_t guest, ZeroMode mode)
{
    uint64_t cluster = guest / m_cluster_size;
    uint64_t l1_index = cluster / l2_entries();
    bool v3 = m_header.version >= 3;
    // What the entry becomes: "reads as zero" (v3), or unallocated when that reads as zero
    // too (no backing file). v2 with a backing file cannot express a zero cluster.
    uint64_t target;
    if (v3 && (m_backing || mode == ZeroMode::WriteZeroes))
        target = m_backing ? k_zero : 0;
    else if (!m_backing)
        target = 0;
    else if (mode == ZeroMode::Discard)
        return 0; // advisory
    else {
        std::vector<uint8_t> zeros(m_cluster_size, 0);
        return commit_pending(write_cluster_part(cluster * m_cluster_size, zeros));
    }

    auto existing = find_l2(l1_index);
    if (!existing)
        return -EIO;
    if (!*existing && target == 0)
        return 0; // already unallocated and reading as zeros
    if (*existing && (*existing)->table->at(cluster % l2_entries()) == target)
        return 0;

    auto l2 = l2_for_write(l1_index);
    if (!l2)
        return -(l2.error().code ? l2.error().code : EIO);
    uint64_t index = cluster % l2_entries();
    uint64_t entry = l2->table->at(index);
    if (entry == target)
        return 0;
    if (int err = set_l2_entry(*l2, index, target); err < 0)
        return err;
    if ((entry & k_compressed) || (entry & k_offset_mask))
        m_releases.push_back(entry); // released by finish_releases() after a writeback
    return 0;
}

int Qcow2Core::discard(uint64_t offset, uint64_t length)
{
    if (int err = prepare_for_write(); err < 0)
        return err;
    // Only whole clusters are discarded; partial ones are left alone (discard is advisory).
    uint64_t first = (offset + m_cluster_size - 1) / m_cluster_size;
    uint64_t end = (offset + length) / m_cluster_size;
    if (offset + length == size())
        end = (size() + m_cluster_size - 1) / m_cluster_size; // the partial last cluster too
    for (uint64_t cluster = first; cluster < end; ++cluster) {
        if (int err = zero_cluster(cluster * m_cluster_size, ZeroMode::Discard); err < 0)
            return finish_releases(err);
        if (int err = writeback_if_large(); err < 0)
            return finish_releases(err);
    }
    return end_of_request(finish_releases(0));
}

int Qcow2Core::write_zeroes(uint64_t offset, uint64_t length)
{
    if (int err = prepare_for_write(); err < 0)
        return err;
    uint64_t end = offset + length;
    std::vector<uint8_t> zeros;
    while (offset < end) {
        uint64_t in_cluster = offset % m_cluster_size;
        uint64_t chunk = std::min(end - offset, m_cluster_size - in_cluster);
        bool whole = in_cluster == 0 && (chunk == m_cluster_size || offset + chunk == size());
        int err;
        if (whole) {
            err = zero_cluster(offset, ZeroMode::WriteZeroes);
        } else {
            zeros.assign(chunk, 0);
            err = commit_pending(write_cluster_part(offset, zeros));
        }
        if (err == 0)
            err = writeback_if_large();
        if (err < 0)
            return finish_releases(err);
        offset += chunk;
    }
    return end_of_request(finish_releases(0));
}

} // namespace vireo::qcow2
