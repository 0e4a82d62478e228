#pragma once
// The qcow2 engine proper: synchronous, single-threaded. Maps guest clusters through L1/L2
// tables, allocates clusters with refcounts, copies on write. Qcow2Image runs it on a worker
// thread (and maps allocated clusters for its io_uring fast path under the same lock); a
// backing chain member is used directly through the SyncImage interface.
//
// Crash safety. Metadata is write-back: L1/L2 entries and refcounts change in memory and are
// marked dirty; writeback() writes them in two phases (qcow2_writeback.cpp):
//   1. dirty refcount blocks and new L2 tables (not yet referenced from the L1 on disk);
//   2. fdatasync (covers the data written by completed requests and phase 1);
//   3. dirty L2 tables and L1 entries.
// So data and refcounts reach the disk before any L2/L1 entry that points at them.
// A freed cluster: its L2/L1 entry changed, writeback + fdatasync, then refcount -= 1 (in memory,
// written by a later writeback). A crash at any point leaves at worst leaked clusters, never
// a refcount too low. flush() = writeback + fdatasync: a guest flush reaches stable storage.
// Rare structural changes (L1 growth, refcount table growth, copying a shared L2 table) first
// make everything durable, then write through with fdatasyncs between steps as before.
#include <sys/uio.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "block/file_io.h"
#include "block/io_engine.h"
#include "block/qcow2/qcow2_cache.h"
#include "block/qcow2/qcow2_format.h"
#include "block/sync_image.h"

namespace vireo::qcow2 {

enum class MetadataSync { Barriers, None }; // None for cache=unsafe

// Sees every write the engine makes to its image file and every fdatasync, in order (tests
// check the metadata ordering with it).
class FileObserver {
public:
    virtual ~FileObserver() = default;
    virtual void wrote(uint64_t offset, std::span<const uint8_t> data) = 0;
    virtual void synced() = 0;
};

class Qcow2Core final : public SyncImage {
public:
    // Opens an image whose header was read with read_header(). backing may be null.
    [[nodiscard]] static Result<std::unique_ptr<Qcow2Core>> open(UniqueFd fd, Header header, const std::string& name,
        Access access, std::unique_ptr<SyncImage> backing, MetadataSync sync = MetadataSync::Barriers);

    // Writes back what is still dirty (Qcow2Image flushes before; this is the backstop).
    ~Qcow2Core() override;

    uint64_t size() const override { return m_header.size; }
    int read(uint64_t offset, std::span<uint8_t> buffer) override;
    // Host extents from cached metadata only, through the backing chain.
    bool map_for_read(uint64_t offset, uint64_t length, std::vector<HostExtent>& out) override;
    // Host extents of a write that needs no metadata change: every cluster allocated,
    // exclusively owned (COPIED), not compressed or zero-flagged, its L2 table cached.
    bool map_for_write(uint64_t offset, uint64_t length, std::vector<HostExtent>& out);

    [[nodiscard]] bool read_only() const { return m_access == Access::ReadOnly; }
    [[nodiscard]] const Header& header() const { return m_header; }

    // Each returns 0 or -errno. Ranges must lie inside size() (the caller checks).
    int readv(uint64_t offset, const std::vector<iovec>& iov);
    int writev(uint64_t offset, const std::vector<iovec>& iov);
    // Several writes at once: the new clusters they need are filled (backing read, then the
    // cluster written) all in parallel on the copy engine, then their L2 entries set together.
    // results[i] gets request i's 0 or -errno.
    struct WriteRequest {
        uint64_t offset = 0;
        const std::vector<iovec>* iov = nullptr;
    };
    void writev_batch(std::span<const WriteRequest> requests, std::span<int> results);
    int discard(uint64_t offset, uint64_t length);
    int write_zeroes(uint64_t offset, uint64_t length);
    int flush(); // writeback + fdatasync

    // A mutex the caller holds around every call; the engine drops it while it waits for
    // fdatasync or writes data to a cluster not yet mapped, so that mapped I/O goes on.
    void set_io_lock(std::mutex* lock) { m_io_lock = lock; }
    void set_observer(FileObserver* observer) { m_observer = observer; }
    // An engine whose completions the calling thread reaps itself (inside the calls above): new
    // clusters are copied through it in parallel. Without one they are copied one at a time.
    void set_copy_engine(IoEngine* engine) { m_copy_engine = engine; }
    // Metadata updates not yet written (tests).
    [[nodiscard]] size_t dirty_tables() const { return m_dirty_l2.size() + m_dirty_refblocks.size() + m_dirty_l1.size(); }

private:
    Qcow2Core(UniqueFd fd, Header header, std::string name, Access access, std::unique_ptr<SyncImage> backing,
        MetadataSync sync, uint64_t file_size);

    using L2Table = TableCache<uint64_t>::Table;
    using RefBlock = TableCache<uint8_t>::Table;
    struct L2Ref {
        uint64_t offset = 0;
        L2Table table;
    };
    enum class ZeroMode { Discard, WriteZeroes };

    // Mapping (qcow2_core.cpp).
    [[nodiscard]] uint64_t l2_entries() const { return m_cluster_size / 8; }
    int read_cluster_part(uint64_t guest_offset, std::vector<iovec> iov);
    int write_parts(uint64_t offset, const std::vector<iovec>& iov, size_t request);
    int write_cluster_part(uint64_t guest_offset, std::span<const uint8_t> data, size_t request = 0);
    int commit_pending(int status);
    int zero_cluster(uint64_t guest_offset, ZeroMode mode);
    int fill_cluster_base(uint64_t guest_cluster, uint64_t entry, std::span<uint8_t> out);
    int read_compressed(uint64_t entry, std::span<uint8_t> out);
    Result<L2Table> load_l2(uint64_t offset);
    Result<std::optional<L2Ref>> find_l2(uint64_t l1_index);
    Result<L2Ref> l2_for_write(uint64_t l1_index);
    [[nodiscard]] L2Table cached_l2(uint64_t offset);
    [[nodiscard]] std::optional<uint64_t> cached_l2_entry(uint64_t cluster);

    // One piece of a guest range that lies within one cluster.
    struct ClusterPiece {
        uint64_t guest;      // guest offset of the piece
        uint64_t cluster;    // guest cluster index
        uint64_t in_cluster; // offset of the piece inside its cluster
        uint64_t length;
        uint64_t done;       // bytes of the range before this piece
    };
    // Calls visit(piece) for [offset, offset + length) cluster by cluster, in order, while it
    // returns true; false if a visit did.
    template <typename Visit>
    bool for_each_cluster_piece(uint64_t offset, uint64_t length, Visit&& visit) const
    {
        for (uint64_t done = 0; done < length;) {
            uint64_t guest = offset + done;
            uint64_t in_cluster = guest % m_cluster_size;
            uint64_t chunk = std::min(length - done, m_cluster_size - in_cluster);
            if (!visit(ClusterPiece { guest, guest / m_cluster_size, in_cluster, chunk, done }))
                return false;
            done += chunk;
        }
        return true;
    }
    int set_l2_entry(const L2Ref& l2, uint64_t index, uint64_t entry);
    void set_l1_entry(uint64_t index, uint64_t entry);
    int write_l1_entry(uint64_t index, uint64_t entry);
    int grow_l1(uint64_t min_entries);
    int prepare_for_write();
    int release_entry(uint64_t entry);
    [[nodiscard]] bool valid_host_cluster(uint64_t offset) const;
    int barrier();
    int write_at(std::span<const uint8_t> data, uint64_t offset);
    int finish_releases(int status);
    int end_of_request(int status);

    // Filling new clusters (qcow2_copy.cpp): planned under the lock, run without it.
    struct CopyJob;
    [[nodiscard]] bool plan_base_read(uint64_t guest_cluster, uint64_t entry, CopyJob& job);
    std::vector<std::unique_ptr<CopyJob>> run_copies(); // returns the jobs run, with results
    void run_copies_parallel(std::vector<std::unique_ptr<CopyJob>>& jobs);

    // Write-back of dirty metadata (qcow2_writeback.cpp).
    enum class Writeback { Ordered, Durable }; // Durable ends with an fdatasync too
    int writeback(Writeback mode);
    int write_refblocks();
    int write_table(uint64_t offset, const std::vector<uint64_t>& table);
    void mark_l2_dirty(uint64_t offset, const L2Table& table, bool is_new);
    void forget_cluster(uint64_t offset);
    int writeback_if_large();

    // Refcounts and allocation (qcow2_refcount.cpp).
    struct Range {
        uint64_t first = 0; // clusters [first, end)
        uint64_t end = 0;
    };
    Result<uint64_t> get_refcount(uint64_t cluster);
    int set_refcount(uint64_t cluster, uint64_t value, Range reserved);
    int decrement_refcount(uint64_t cluster);
    Result<RefBlock> load_refblock(uint64_t offset);
    Result<uint64_t> create_refblock(uint64_t table_index, Range reserved);
    int grow_refcount_table(uint64_t table_index, Range reserved);
    Result<uint64_t> allocate_clusters(uint64_t count); // returns the host offset
    int free_byte_range(uint64_t offset, uint64_t length);
    [[nodiscard]] uint64_t refcount_entry(const std::vector<uint8_t>& block, uint64_t index) const;
    void store_refcount_entry(std::vector<uint8_t>& block, uint64_t index, uint64_t value) const;
    [[nodiscard]] uint64_t refblock_entries() const { return m_cluster_size * 8 >> m_header.refcount_order; }

    UniqueFd m_fd;
    Header m_header;
    std::string m_name;
    Access m_access;
    std::unique_ptr<SyncImage> m_backing;
    MetadataSync m_sync;
    uint64_t m_cluster_size;
    uint64_t m_end_cluster;    // clusters [0, m_end_cluster) lie inside the file (or were allocated)
    uint64_t m_free_hint = 1;  // no free cluster below this one
    std::vector<uint64_t> m_l1;
    std::vector<uint64_t> m_refcount_table;
    TableCache<uint64_t> m_l2_cache;
    TableCache<uint8_t> m_refblock_cache;
    // New clusters of the current request whose data is written but whose L2 entries are not
    // yet: one fdatasync then covers them all before the entries are written.
    struct PendingMapping {
        L2Ref l2;
        uint64_t index = 0;
        uint64_t entry = 0;
        uint64_t old_entry = 0;
        size_t request = 0;        // index in the batch (writev_batch)
        CopyJob* job = nullptr;    // fills the new cluster; its entry is set only if that succeeded
    };
    std::vector<PendingMapping> m_pending;
    std::set<uint64_t> m_pending_clusters;           // guest clusters of m_pending
    std::vector<std::unique_ptr<CopyJob>> m_copies;  // not yet run
    std::vector<int> m_request_errors;               // per request of the batch, set by commit_pending
    IoEngine* m_copy_engine = nullptr;
    std::vector<uint64_t> m_releases; // entries to release once their replacement is durable
    // Dirty metadata (see the top of this file). Dirty tables stay here, whatever the LRU.
    std::unordered_map<uint64_t, L2Table> m_dirty_l2;
    std::set<uint64_t> m_new_l2;               // dirty L2 tables never written yet
    std::unordered_map<uint64_t, RefBlock> m_dirty_refblocks;
    std::set<uint64_t> m_dirty_l1;             // indices
    uint64_t m_updates = 0;                    // entries changed since the last writeback
    uint64_t m_file_end = 0;                   // bytes: no write reached past this
    uint64_t m_alignment = 1;                  // O_DIRECT (cache=none): direct_io_alignment()
    bool m_write_through = false;              // O_DSYNC (cache=writethrough): durable per request
    std::mutex* m_io_lock = nullptr;
    FileObserver* m_observer = nullptr;
    bool m_prepared_for_write = false;
    uint64_t m_compressed_entry = 0; // the descriptor whose data m_compressed_data holds
    std::vector<uint8_t> m_compressed_data;
};

} // namespace vireo::qcow2
