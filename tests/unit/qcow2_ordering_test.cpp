// Crash-safety ordering of qcow2 metadata write-back. A FileObserver records every write and
// fdatasync the engine makes; replaying them checks, at each write, the rules of
// qcow2_core.h: an L2 entry reaches the file only after the refcount of the cluster it
// points at and that cluster's data are durable (written before an earlier fdatasync); an L1
// entry only after its L2 table and the table's refcount are durable; a refcount is lowered
// only when no durable L2 entry points at the cluster. At every fdatasync the durable file
// (a crash at that moment) must pass `qemu-img check` (leaks allowed).
#include <fcntl.h>

#include <map>
#include <set>

#include "block/file_io.h"
#include "block/io_engine.h"
#include "block/qcow2/qcow2_core.h"
#include "block/qcow2/qcow2_create.h"
#include "block/qcow2/qcow2_header.h"
#include "block_test_util.h"

namespace vireo {
namespace {

using namespace qcow2;

constexpr uint32_t k_cluster_bits = 12; // 4 KiB clusters: an L2 table maps 2 MiB, a refblock 8 MiB
constexpr uint64_t k_cluster = 1ULL << k_cluster_bits;
constexpr uint64_t k_size = 64ULL << 20;

// A view of the image's metadata in a byte array (missing bytes read as zeros).
struct FileView {
    const std::vector<uint8_t>& bytes;
    uint64_t be64(uint64_t offset) const { return offset + 8 <= bytes.size() ? load_be64(bytes.data() + offset) : 0; }
    uint32_t be32(uint64_t offset) const { return offset + 4 <= bytes.size() ? load_be32(bytes.data() + offset) : 0; }
    uint64_t l1_offset() const { return be64(40); }
    uint32_t l1_size() const { return be32(36); }
    uint64_t refcount(uint64_t cluster) const
    {
        uint64_t per_block = k_cluster / 2; // 16-bit refcounts
        uint64_t block = be64(be64(48) + cluster / per_block * 8) & k_offset_mask;
        if (block == 0)
            return 0;
        uint64_t at = block + cluster % per_block * 2;
        return at + 2 <= bytes.size() ? (uint64_t(bytes[at]) << 8) | bytes[at + 1] : 0;
    }
    std::set<uint64_t> l2_tables() const
    {
        std::set<uint64_t> tables;
        for (uint32_t i = 0; i < l1_size(); ++i) {
            if (uint64_t t = be64(l1_offset() + i * 8) & k_offset_mask)
                tables.insert(t);
        }
        return tables;
    }
    std::set<uint64_t> refblocks() const
    {
        std::set<uint64_t> blocks;
        for (uint64_t i = 0; i < k_cluster / 8; ++i) {
            if (uint64_t b = be64(be64(48) + i * 8) & k_offset_mask)
                blocks.insert(b);
        }
        return blocks;
    }
    std::set<uint64_t> referenced_clusters() const
    {
        std::set<uint64_t> clusters;
        for (uint64_t table : l2_tables()) {
            clusters.insert(table / k_cluster);
            for (uint64_t i = 0; i < k_cluster / 8; ++i) {
                if (uint64_t host = be64(table + i * 8) & k_offset_mask)
                    clusters.insert(host / k_cluster);
            }
        }
        return clusters;
    }
};

class OrderChecker final : public FileObserver {
public:
    OrderChecker(std::vector<uint8_t> initial, std::string scratch)
        : m_current(std::move(initial))
        , m_durable(m_current)
        , m_scratch(std::move(scratch))
    {
    }

    void wrote(uint64_t offset, std::span<const uint8_t> data) override
    {
        FileView current { m_current };
        FileView durable { m_durable };
        auto tables = current.l2_tables();
        auto refblocks = current.refblocks();
        uint64_t cluster_start = offset / k_cluster * k_cluster;
        for (uint64_t at = offset / 8 * 8; at < offset + data.size(); at += 8) {
            if (at < offset || at + 8 > offset + data.size())
                continue;
            uint64_t now = current.be64(at);
            uint64_t next = load_be64(data.data() + (at - offset));
            if (now == next)
                continue;
            if (tables.contains(cluster_start))
                check_l2_entry(durable, next, at);
            if (at >= current.l1_offset() && at < current.l1_offset() + current.l1_size() * 8)
                check_l1_entry(durable, next);
        }
        if (refblocks.contains(cluster_start))
            check_refcount_decrease(offset, data);
        if (m_current.size() < offset + data.size())
            m_current.resize(offset + data.size(), 0);
        std::copy(data.begin(), data.end(), m_current.begin() + static_cast<std::ptrdiff_t>(offset));
        for (uint64_t c = offset / k_cluster; c <= (offset + data.size() - 1) / k_cluster; ++c)
            m_last_write_epoch[c] = m_epoch;
        ++writes;
    }

    void synced() override
    {
        m_durable = m_current;
        ++m_epoch;
        // A crash right here: what is on the disk must be a consistent image.
        if (test::have_qemu_img() && m_epoch % 3 == 1) {
            test::write_file(m_scratch, m_durable);
            std::string output;
            int status = test::run_command("qemu-img check " + m_scratch, &output);
            EXPECT_TRUE(status == 0 || status == 3) << "after fdatasync " << m_epoch << ":\n" << output;
            ++checks;
        }
    }

    int writes = 0;
    int checks = 0;
    int l2_entries_checked = 0;
    int l1_entries_checked = 0;
    int decreases_checked = 0;

private:
    void check_data_cluster(const FileView& durable, uint64_t host, const char* what)
    {
        uint64_t cluster = host / k_cluster;
        EXPECT_GE(durable.refcount(cluster), 1u) << what << " points at cluster " << cluster << " before its refcount is durable";
        auto written = m_last_write_epoch.find(cluster);
        if (written != m_last_write_epoch.end()) {
            EXPECT_LT(written->second, m_epoch) << what << " points at cluster " << cluster << " before its data is durable";
        } else {
            // Every cluster these tests map was written by the engine: not yet is too early.
            ADD_FAILURE() << what << " points at cluster " << cluster << " before its data was written";
        }
    }

    void check_l2_entry(const FileView& durable, uint64_t entry, uint64_t at)
    {
        if (entry & k_compressed)
            return;
        if (uint64_t host = entry & k_offset_mask)
            check_data_cluster(durable, host, fmt::format("L2 entry at 0x{:x}", at).c_str());
        ++l2_entries_checked;
    }

    void check_l1_entry(const FileView& durable, uint64_t entry)
    {
        uint64_t table = entry & k_offset_mask;
        if (table == 0)
            return;
        EXPECT_GE(durable.refcount(table / k_cluster), 1u) << "L1 entry before its table's refcount is durable";
        bool same = true;
        for (uint64_t i = 0; i < k_cluster / 8; ++i) {
            uint64_t e = FileView { m_current }.be64(table + i * 8);
            same &= e == durable.be64(table + i * 8);
            if (e & k_offset_mask)
                check_data_cluster(durable, e & k_offset_mask, "an entry of a newly linked L2 table");
        }
        EXPECT_TRUE(same) << "L1 entry written before its L2 table is durable";
        ++l1_entries_checked;
    }

    void check_refcount_decrease(uint64_t offset, std::span<const uint8_t> data)
    {
        FileView durable { m_durable };
        FileView current { m_current };
        auto referenced = durable.referenced_clusters();
        for (uint64_t at = offset / 2 * 2; at + 2 <= offset + data.size(); at += 2) {
            uint64_t now = at + 2 <= m_current.size() ? (uint64_t(m_current[at]) << 8) | m_current[at + 1] : 0;
            uint64_t next = (uint64_t(data[at - offset]) << 8) | data[at - offset + 1];
            if (next != 0 || now == 0)
                continue;
            // Which cluster this entry counts.
            uint64_t block = at / k_cluster * k_cluster;
            for (uint64_t i = 0; i < k_cluster / 8; ++i) {
                if ((current.be64(current.be64(48) + i * 8) & k_offset_mask) != block)
                    continue;
                uint64_t cluster = i * (k_cluster / 2) + (at - block) / 2;
                EXPECT_FALSE(referenced.contains(cluster)) << "refcount of cluster " << cluster << " dropped to 0 while a durable entry points at it";
                ++decreases_checked;
            }
        }
    }

    std::vector<uint8_t> m_current;
    std::vector<uint8_t> m_durable;
    std::string m_scratch;
    uint64_t m_epoch = 0;
    std::map<uint64_t, uint64_t> m_last_write_epoch; // cluster -> epoch of its last write
};

std::unique_ptr<Qcow2Core> open_core(const std::string& path, std::unique_ptr<SyncImage> backing = nullptr)
{
    FileOpenFlags flags { Access::ReadWrite };
    auto fd = open_image_file(path, flags);
    EXPECT_TRUE(fd);
    auto size = file_size(fd->get());
    auto header = read_header(fd->get(), *size, path);
    EXPECT_TRUE(header) << (header ? "" : header.error().describe());
    auto core = Qcow2Core::open(std::move(*fd), std::move(*header), path, Access::ReadWrite, std::move(backing));
    EXPECT_TRUE(core);
    return core ? std::move(*core) : nullptr;
}

// An engine that counts how many requests were in flight at once (callbacks run on the
// thread that reaps, so plain counters do).
class CountingEngine final : public IoEngine {
public:
    explicit CountingEngine(std::unique_ptr<IoEngine> inner)
        : m_inner(std::move(inner))
    {
    }
    IoEngineKind kind() const override { return m_inner->kind(); }
    void submit(IoRequest request, IoCallback callback) override
    {
        max_in_flight = std::max(max_in_flight, ++m_in_flight);
        m_inner->submit(std::move(request), [this, callback = std::move(callback)](int64_t r) {
            --m_in_flight;
            callback(r);
        });
    }
    void begin_batch() override { m_inner->begin_batch(); }
    void end_batch() override { m_inner->end_batch(); }
    void post(IoCallback callback, int64_t result) override { m_inner->post(std::move(callback), result); }
    int completion_fd() const override { return m_inner->completion_fd(); }
    void process_completions() override { m_inner->process_completions(); }
    int max_in_flight = 0;

private:
    std::unique_ptr<IoEngine> m_inner;
    int m_in_flight = 0;
};

int write(Qcow2Core& core, uint64_t offset, size_t length, uint8_t seed, std::vector<uint8_t>& model)
{
    auto data = test::pattern(length, seed);
    std::copy(data.begin(), data.end(), model.begin() + static_cast<std::ptrdiff_t>(offset));
    return core.writev(offset, { { data.data(), data.size() } });
}

TEST(Qcow2Ordering, NoEntryReachesTheFileBeforeWhatItPointsAt)
{
    test::TempDir dir;
    auto path = dir.file("order.qcow2");
    {
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT, 0600));
        ASSERT_TRUE(create_image(fd.get(), CreateOptions { k_size, k_cluster_bits }));
    }
    OrderChecker checker(test::read_file(path), dir.file("crash.qcow2"));
    std::vector<uint8_t> model(k_size, 0);
    {
        auto core = open_core(path);
        ASSERT_TRUE(core);
        core->set_observer(&checker);
        // Scattered allocating writes: new L2 tables, new refcount blocks past 8 MiB.
        for (uint64_t i = 0; i < 200; ++i)
            ASSERT_EQ(write(*core, (i * 2654435761ULL) % (k_size - 8192) / 512 * 512, 512 + i % 3 * 3000, static_cast<uint8_t>(i), model), 0);
        EXPECT_GT(core->dirty_tables(), 0u); // nothing forced a write-back yet
        ASSERT_EQ(core->flush(), 0);
        EXPECT_EQ(core->dirty_tables(), 0u);
        // Rewrites, frees and reuse of freed clusters, in several flush epochs.
        for (int round = 0; round < 4; ++round) {
            for (uint64_t i = 0; i < 40; ++i)
                ASSERT_EQ(write(*core, (i * 7919 + round * 131) % 4096 * 8192 % (k_size - 65536), 6000, static_cast<uint8_t>(round * 40 + i), model), 0);
            uint64_t hole = uint64_t(round) * (8 << 20) + (1 << 20);
            ASSERT_EQ(core->discard(hole, 1 << 20), 0);
            std::fill_n(model.begin() + static_cast<std::ptrdiff_t>(hole), 1 << 20, 0);
            ASSERT_EQ(core->write_zeroes(hole + (3 << 20), 256 << 10), 0);
            std::fill_n(model.begin() + static_cast<std::ptrdiff_t>(hole + (3 << 20)), 256 << 10, 0);
            ASSERT_EQ(write(*core, hole + 4096, 20000, static_cast<uint8_t>(200 + round), model), 0);
            ASSERT_EQ(core->flush(), 0);
        }
        // Enough new tables to force write-backs without a flush.
        for (uint64_t i = 0; i < 32; ++i)
            ASSERT_EQ(write(*core, i * (2 << 20) + 12345, 100, static_cast<uint8_t>(i), model), 0);
        std::vector<uint8_t> back(k_size);
        ASSERT_EQ(core->readv(0, { { back.data(), back.size() } }), 0);
        EXPECT_TRUE(back == model);
    }
    EXPECT_GT(checker.l2_entries_checked, 200);
    EXPECT_GT(checker.l1_entries_checked, 10);
    EXPECT_GT(checker.decreases_checked, 0);
    if (test::have_qemu_img()) {
        EXPECT_GT(checker.checks, 2);
        std::string output;
        EXPECT_EQ(test::run_command("qemu-img check " + path, &output), 0) << output;
        test::write_file(dir.file("expected.raw"), model);
        EXPECT_EQ(test::run_command("qemu-img compare -F raw " + path + " " + dir.file("expected.raw"), &output), 0) << output;
    }
}

// Allocations between two guest flushes share one fdatasync before their L2 entries (the
// old engine paid one per allocating write).
TEST(Qcow2Ordering, AllocationsShareOneSyncUntilTheGuestFlushes)
{
    test::TempDir dir;
    auto path = dir.file("batch.qcow2");
    {
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT, 0600));
        ASSERT_TRUE(create_image(fd.get(), CreateOptions { k_size, 16 }));
    }
    struct Counter final : FileObserver {
        void wrote(uint64_t, std::span<const uint8_t>) override { }
        void synced() override { ++syncs; }
        int syncs = 0;
    } counter;
    auto core = open_core(path);
    ASSERT_TRUE(core);
    core->set_observer(&counter);
    std::vector<uint8_t> model(k_size, 0);
    for (uint64_t i = 0; i < 100; ++i)
        ASSERT_EQ(write(*core, i * 65536 * 5 % k_size, 4096, static_cast<uint8_t>(i), model), 0);
    EXPECT_EQ(counter.syncs, 0);
    ASSERT_EQ(core->flush(), 0);
    EXPECT_EQ(counter.syncs, 2); // data + refcounts, then the L2/L1 entries
}

// Copy-on-write writes of a batch fill their new clusters in parallel (backing reads and
// cluster writes all in flight at once), yet every L2 entry still reaches the file only after
// its cluster's data and refcount are durable; requests of one batch that share a cluster
// (the second must see the first's new cluster) keep both.
TEST(Qcow2Ordering, ParallelCopiesPrecedeTheirEntries)
{
    if (!test::have_qemu_img())
        GTEST_SKIP() << "qemu-img missing";
    test::TempDir dir;
    std::vector<uint8_t> model = test::pattern(k_size, 5);
    test::write_file(dir.file("base.raw"), model);
    auto path = dir.file("overlay.qcow2");
    {
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT, 0600));
        ASSERT_TRUE(create_image(fd.get(), CreateOptions { k_size, k_cluster_bits, 4, "base.raw", "raw" }));
    }
    OrderChecker checker(test::read_file(path), dir.file("crash.qcow2"));
    auto engine = create_io_engine(IoEngineKind::IoUring);
    ASSERT_TRUE(engine);
    CountingEngine counting(std::move(*engine));
    {
        UniqueFd base_fd(::open(dir.file("base.raw").c_str(), O_RDONLY | O_CLOEXEC));
        auto core = open_core(path, std::make_unique<RawSyncImage>(std::move(base_fd), k_size));
        ASSERT_TRUE(core);
        core->set_observer(&checker);
        core->set_copy_engine(&counting);
        for (int round = 0; round < 6; ++round) {
            std::vector<std::vector<uint8_t>> buffers;
            std::vector<std::vector<iovec>> iovs;
            std::vector<Qcow2Core::WriteRequest> requests;
            for (uint64_t i = 0; i < 24; ++i) {
                uint64_t cluster = (i * 2654435761ULL + round * 977) % (k_size / k_cluster);
                uint64_t offset = cluster * k_cluster + (i % 4) * 1024;
                if (i % 8 == 7)
                    offset = requests[i - 1].offset + 512; // the cluster of the one before
                buffers.push_back(test::pattern(512, static_cast<uint8_t>(round * 24 + i)));
                std::copy(buffers.back().begin(), buffers.back().end(), model.begin() + static_cast<std::ptrdiff_t>(offset));
                iovs.push_back({ { buffers.back().data(), buffers.back().size() } });
                requests.push_back({ offset, nullptr });
            }
            for (size_t i = 0; i < requests.size(); ++i)
                requests[i].iov = &iovs[i];
            std::vector<int> results(requests.size(), -1);
            core->writev_batch(requests, results);
            EXPECT_TRUE(std::all_of(results.begin(), results.end(), [](int r) { return r == 0; })) << "round " << round;
            if (round % 2 == 1) {
                ASSERT_EQ(core->flush(), 0);
            }
        }
        std::vector<uint8_t> back(k_size);
        ASSERT_EQ(core->readv(0, { { back.data(), back.size() } }), 0);
        EXPECT_TRUE(back == model);
    }
    EXPECT_GE(counting.max_in_flight, 6); // the copies overlapped (groups of 7: the 8th shares a cluster)
    EXPECT_GT(checker.l2_entries_checked, 60);
    std::string output;
    EXPECT_EQ(test::run_command("qemu-img check " + path, &output), 0) << output;
    test::write_file(dir.file("expected.raw"), model);
    EXPECT_EQ(test::run_command("qemu-img compare -F raw " + path + " " + dir.file("expected.raw"), &output), 0) << output;
}

} // namespace
} // namespace vireo
