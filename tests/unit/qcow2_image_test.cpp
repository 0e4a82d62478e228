// qcow2 through open_disk_image(): images made by qemu-img in many variants and by our own
// creator; patterns written through DiskImage, then `qemu-img check` (no errors) and
// `qemu-img compare` against a raw file holding the expected contents.
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "block/file_io.h"
#include "block/open_image.h"
#include "block/qcow2/qcow2_create.h"
#include "block/qcow2/qcow2_format.h"
#include "block_test_util.h"

namespace vireo {
namespace {

using test::TempDir;

constexpr uint64_t k_size = 32ULL << 20;

std::unique_ptr<DiskImage> open_image(const std::string& path, const std::string& format = "qcow2", bool read_only = false,
    CacheMode cache = CacheMode::Writeback)
{
    DriveConfig config;
    config.file = path;
    config.format = format;
    config.read_only = read_only;
    config.cache = cache; // None: O_DIRECT, so every unaligned transfer must bounce
    config.discard = true;
    auto image = open_disk_image(config);
    EXPECT_TRUE(image) << (image ? "" : image.error().describe());
    return image ? std::move(*image) : nullptr;
}

// Applies the same writes to the image and to an in-memory model of the disk.
class Writer {
public:
    Writer(DiskImage& image, std::vector<uint8_t>& model)
        : m_image(image)
        , m_model(model)
    {
    }
    void write(uint64_t offset, size_t length, uint8_t seed)
    {
        auto data = test::pattern(length, seed);
        ASSERT_EQ(test::disk_write(m_image, offset, data), 0) << "write at " << offset;
        std::copy(data.begin(), data.end(), m_model.begin() + static_cast<std::ptrdiff_t>(offset));
    }
    void zero(uint64_t offset, uint64_t length)
    {
        ASSERT_EQ(test::disk_simple(m_image, DiskOp::WriteZeroes, offset, length, true), 0);
        std::fill_n(m_model.begin() + static_cast<std::ptrdiff_t>(offset), length, 0);
    }
    void discard(uint64_t offset, uint64_t length, bool reads_zero)
    {
        ASSERT_EQ(test::disk_simple(m_image, DiskOp::Discard, offset, length), 0);
        if (reads_zero)
            std::fill_n(m_model.begin() + static_cast<std::ptrdiff_t>(offset), length, 0);
    }

private:
    DiskImage& m_image;
    std::vector<uint8_t>& m_model;
};

void exercise(DiskImage& image, std::vector<uint8_t>& model, uint64_t cs, bool discard_zeroes = true)
{
    Writer w(image, model);
    w.write(0, 4096, 1);
    w.write(cs - 512, 1024, 2);                   // across a cluster boundary
    w.write(3 * cs + 100, 3 * cs + 7, 3);         // unaligned, several clusters
    w.write(k_size - 4096, 4096, 4);              // the end of the disk
    w.write(8 << 20, 1 << 20, 5);                 // 1 MiB
    w.write(50, 200, 6);                          // rewrite inside an allocated cluster
    uint64_t z = (8 << 20) + 2 * std::max<uint64_t>(cs, 1 << 16);
    w.zero(z, 2 * cs);                            // whole clusters
    w.zero((8 << 20) + 10, 100);                  // partial cluster
    w.discard(16 << 20, 2 * cs, discard_zeroes);  // discard of unallocated clusters
    w.write(20 << 20, 2 * cs, 7);
    w.discard(20 << 20, 2 * cs, discard_zeroes);  // discard of allocated clusters
    for (uint64_t i = 0; i < 64; ++i)             // scattered: many L2 tables and refcounts
        w.write(i * (k_size / 64) + 512 * (i % 7), 512, static_cast<uint8_t>(10 + i));
    w.write(20 << 20, 512, 8);                    // reuse of freed clusters
    ASSERT_EQ(test::disk_simple(image, DiskOp::Flush), 0);
}

void expect_contents(DiskImage& image, const std::vector<uint8_t>& model)
{
    std::vector<uint8_t> buffer(1 << 20);
    for (uint64_t offset = 0; offset < model.size(); offset += buffer.size()) {
        ASSERT_EQ(test::disk_read(image, offset, buffer), 0);
        ASSERT_TRUE(std::equal(buffer.begin(), buffer.end(), model.begin() + static_cast<std::ptrdiff_t>(offset)))
            << "contents differ in the MiB at " << offset;
    }
}

// qemu-img check: exit 0 (clean) or 3 (leaked clusters only) when allow_leaks.
void expect_check_clean(const std::string& path, bool allow_leaks = false)
{
    std::string output;
    int status = test::run_command("qemu-img check " + path, &output);
    EXPECT_TRUE(status == 0 || (allow_leaks && status == 3)) << output;
}

void expect_same(const std::string& image, const std::string& raw)
{
    std::string output;
    EXPECT_EQ(test::run_command("qemu-img compare -F raw " + image + " " + raw, &output), 0) << output;
}

struct Variant {
    const char* name;
    const char* options;
    uint64_t cluster_size;
    CacheMode cache = CacheMode::Writeback;
};

class Qcow2QemuImgTest : public ::testing::TestWithParam<Variant> { };

TEST_P(Qcow2QemuImgTest, WritesPassCheckAndCompare)
{
    if (!test::have_qemu_img())
        GTEST_SKIP() << "qemu-img missing";
    TempDir dir;
    auto path = dir.file("disk.qcow2");
    std::string options = GetParam().options;
    ASSERT_EQ(test::run_command("qemu-img create -q -f qcow2 " + (options.empty() ? "" : "-o " + options + " ") + path + " 32M"), 0);
    std::vector<uint8_t> model(k_size, 0);
    {
        auto image = open_image(path, "qcow2", false, GetParam().cache);
        ASSERT_TRUE(image);
        EXPECT_EQ(image->size(), k_size);
        exercise(*image, model, GetParam().cluster_size);
        expect_contents(*image, model);
    }
    expect_check_clean(path);
    test::write_file(dir.file("expected.raw"), model);
    expect_same(path, dir.file("expected.raw"));
    auto again = open_image(path);
    ASSERT_TRUE(again);
    expect_contents(*again, model);
}

INSTANTIATE_TEST_SUITE_P(Variants, Qcow2QemuImgTest,
    ::testing::Values(Variant { "defaults", "", 65536 }, Variant { "cluster4k", "cluster_size=4k", 4096 },
        Variant { "cluster2M", "cluster_size=2M", 2 << 20 }, Variant { "cluster512", "cluster_size=512", 512 },
        Variant { "refcount1", "refcount_bits=1", 65536 }, Variant { "refcount64", "refcount_bits=64", 65536 },
        Variant { "refcount1small", "refcount_bits=1,cluster_size=4k", 4096 },
        Variant { "lazy", "lazy_refcounts=on", 65536 }, Variant { "zstd", "compression_type=zstd", 65536 },
        Variant { "v2", "compat=0.10", 65536 }, Variant { "prealloc", "preallocation=metadata", 65536 },
        Variant { "v2small", "compat=0.10,cluster_size=4k", 4096 },
        // O_DIRECT: metadata smaller than a block (512-byte clusters, short L1), unaligned writes.
        Variant { "direct", "", 65536, CacheMode::None }, Variant { "direct512", "cluster_size=512", 512, CacheMode::None },
        Variant { "direct4k", "cluster_size=4k", 4096, CacheMode::DirectSync },
        Variant { "directrefcount1", "refcount_bits=1,cluster_size=4k", 4096, CacheMode::None },
        Variant { "directv2", "compat=0.10", 65536, CacheMode::None }),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Qcow2Image, OwnCreatorPassesCheck)
{
    TempDir dir;
    auto path = dir.file("own.qcow2");
    {
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT, 0600));
        ASSERT_TRUE(qcow2::create_image(fd.get(), qcow2::CreateOptions { k_size, 12 }));
    }
    if (test::have_qemu_img())
        expect_check_clean(path);
    std::vector<uint8_t> model(k_size, 0);
    {
        auto image = open_image(path);
        ASSERT_TRUE(image);
        exercise(*image, model, 4096);
        expect_contents(*image, model);
    }
    if (!test::have_qemu_img())
        return;
    expect_check_clean(path);
    test::write_file(dir.file("expected.raw"), model);
    expect_same(path, dir.file("expected.raw"));
}

class Qcow2CompressedTest : public ::testing::TestWithParam<std::pair<const char*, CacheMode>> { };

TEST_P(Qcow2CompressedTest, ReadsAndRewritesCompressedClusters)
{
    if (!test::have_qemu_img())
        GTEST_SKIP() << "qemu-img missing";
    TempDir dir;
    std::vector<uint8_t> model(k_size, 0);
    for (uint64_t offset = 0; offset < k_size; offset += 3 << 20) {
        auto data = test::pattern(300000, static_cast<uint8_t>(offset >> 20));
        std::copy(data.begin(), data.end(), model.begin() + static_cast<std::ptrdiff_t>(offset));
    }
    test::write_file(dir.file("source.raw"), model);
    auto path = dir.file("packed.qcow2");
    ASSERT_EQ(test::run_command(std::string("qemu-img convert -c -f raw -O qcow2 ") + GetParam().first + " " + dir.file("source.raw") + " " + path), 0);
    {
        auto image = open_image(path, "qcow2", false, GetParam().second);
        ASSERT_TRUE(image);
        expect_contents(*image, model);
        Writer w(*image, model);
        w.write(100, 1000, 40);           // partial rewrite of a compressed cluster
        w.write((3 << 20) + 65536, 65536, 41); // whole-cluster rewrite
        w.zero((6 << 20), 65536);
        w.discard(9 << 20, 131072, true);
        expect_contents(*image, model);
    }
    expect_check_clean(path);
    test::write_file(dir.file("expected.raw"), model);
    expect_same(path, dir.file("expected.raw"));
}

// Compressed data starts and ends anywhere in a sector: O_DIRECT reads of it must bounce.
INSTANTIATE_TEST_SUITE_P(Types, Qcow2CompressedTest,
    ::testing::Values(std::pair { "", CacheMode::Writeback }, std::pair { "-o compression_type=zstd", CacheMode::Writeback },
        std::pair { "", CacheMode::None }));

class Qcow2BackingChainTest : public ::testing::TestWithParam<CacheMode> { };

TEST_P(Qcow2BackingChainTest, Qcow2OverQcow2OverRaw)
{
    if (!test::have_qemu_img())
        GTEST_SKIP() << "qemu-img missing";
    TempDir dir;
    std::vector<uint8_t> model = test::pattern(k_size, 77);
    test::write_file(dir.file("base.raw"), model);
    ASSERT_EQ(test::run_command("qemu-img create -q -f qcow2 -F raw -b base.raw " + dir.file("mid.qcow2")), 0);
    ASSERT_EQ(test::run_command("qemu-io -f qcow2 -c 'write -P 0x5a 1M 256k' -c 'write -z 4M 128k' " + dir.file("mid.qcow2")), 0);
    std::fill_n(model.begin() + (1 << 20), 256 << 10, 0x5a);
    std::fill_n(model.begin() + (4 << 20), 128 << 10, 0);
    // The top names its backing file relatively.
    ASSERT_EQ(test::run_command("cd " + dir.path() + " && qemu-img create -q -f qcow2 -F qcow2 -b mid.qcow2 top.qcow2"), 0);
    auto path = dir.file("top.qcow2");
    {
        auto image = open_image(path, "qcow2", false, GetParam());
        ASSERT_TRUE(image);
        expect_contents(*image, model);
        Writer w(*image, model);
        w.write((1 << 20) + 1000, 5000, 90); // partial: copy-on-write from mid
        w.write(7 << 20, 777, 91);           // partial: copy-on-write from raw base
        w.zero(12 << 20, 65536);             // zero flag hides the backing data
        w.discard(14 << 20, 65536, true);
        w.write((4 << 20) + 10, 10, 92);     // over mid's zero cluster
        expect_contents(*image, model);
    }
    expect_check_clean(path);
    expect_check_clean(dir.file("mid.qcow2"));
    test::write_file(dir.file("expected.raw"), model);
    expect_same(path, dir.file("expected.raw"));
}

INSTANTIATE_TEST_SUITE_P(Cache, Qcow2BackingChainTest, ::testing::Values(CacheMode::Writeback, CacheMode::None));

TEST(Qcow2Image, InternalSnapshotStaysIntact)
{
    if (!test::have_qemu_img())
        GTEST_SKIP() << "qemu-img missing";
    TempDir dir;
    auto path = dir.file("snap.qcow2");
    ASSERT_EQ(test::run_command("qemu-img create -q -f qcow2 " + path + " 32M"), 0);
    ASSERT_EQ(test::run_command("qemu-io -f qcow2 -c 'write -P 0x11 0 2M' -c 'write -P 0x22 9M 100k' " + path), 0);
    ASSERT_EQ(test::run_command("qemu-img snapshot -c before " + path), 0);
    std::vector<uint8_t> before(k_size, 0);
    std::fill_n(before.begin(), 2 << 20, 0x11);
    std::fill_n(before.begin() + (9 << 20), 100 << 10, 0x22);
    std::vector<uint8_t> model = before;
    {
        auto image = open_image(path);
        ASSERT_TRUE(image);
        Writer w(*image, model);
        w.write(4096, 512, 1);        // shared cluster: copy on write
        w.write(65536, 65536, 2);     // shared cluster, whole
        w.zero(9 << 20, 65536);       // frees only the active reference
        w.discard(1 << 20, 131072, true);
        w.write(20 << 20, 4096, 3);   // new allocation
        expect_contents(*image, model);
    }
    expect_check_clean(path);
    test::write_file(dir.file("expected.raw"), model);
    expect_same(path, dir.file("expected.raw"));
    test::write_file(dir.file("before.raw"), before);
    ASSERT_EQ(test::run_command("qemu-img convert -l snapshot.name=before -O raw " + path + " " + dir.file("snap.raw")), 0);
    EXPECT_TRUE(test::read_file(dir.file("snap.raw")) == before);
}

TEST(Qcow2Image, WritingClearsBitmapsAutoclearBit)
{
    if (!test::have_qemu_img())
        GTEST_SKIP() << "qemu-img missing";
    TempDir dir;
    auto path = dir.file("bitmap.qcow2");
    ASSERT_EQ(test::run_command("qemu-img create -q -f qcow2 " + path + " 32M && qemu-img bitmap --add " + path + " b0"), 0);
    auto autoclear = [&] {
        auto bytes = test::read_file(path);
        return qcow2::load_be64(bytes.data() + qcow2::k_off_autoclear);
    };
    ASSERT_EQ(autoclear(), qcow2::k_autoclear_bitmaps);
    {
        auto image = open_image(path, "qcow2", true);
        std::vector<uint8_t> buffer(4096);
        EXPECT_EQ(test::disk_read(*image, 0, buffer), 0);
    }
    EXPECT_EQ(autoclear(), qcow2::k_autoclear_bitmaps); // read-only never writes
    {
        auto image = open_image(path);
        EXPECT_EQ(test::disk_write(*image, 0, test::pattern(4096, 1)), 0);
    }
    EXPECT_EQ(autoclear(), 0u);
    std::string output;
    int status = test::run_command("qemu-img check " + path, &output);
    EXPECT_TRUE(status == 0 || status == 3) << output; // the orphaned bitmap data may count as leaked
}

TEST(Qcow2Image, ReadOnlyNeverWrites)
{
    if (!test::have_qemu_img())
        GTEST_SKIP() << "qemu-img missing";
    TempDir dir;
    auto path = dir.file("ro.qcow2");
    ASSERT_EQ(test::run_command("qemu-img create -q -f qcow2 " + path + " 32M && qemu-io -f qcow2 -c 'write -P 7 0 1M' " + path), 0);
    ::chmod(path.c_str(), 0400);
    auto original = test::read_file(path);
    {
        auto image = open_image(path, "qcow2", true);
        ASSERT_TRUE(image);
        EXPECT_TRUE(image->read_only());
        std::vector<uint8_t> buffer(1 << 20);
        EXPECT_EQ(test::disk_read(*image, 0, buffer), 0);
        EXPECT_TRUE(std::all_of(buffer.begin(), buffer.end(), [](uint8_t v) { return v == 7; }));
        EXPECT_EQ(test::disk_write(*image, 0, buffer), -EROFS);
        EXPECT_EQ(test::disk_simple(*image, DiskOp::WriteZeroes, 0, 65536), -EROFS);
        EXPECT_EQ(test::disk_simple(*image, DiskOp::Flush), 0);
    }
    EXPECT_TRUE(test::read_file(path) == original);
}

TEST(Qcow2Image, RefcountTableAndL1Growth)
{
    if (!test::have_qemu_img())
        GTEST_SKIP() << "qemu-img missing";
    TempDir dir;
    auto path = dir.file("grow.qcow2");
    // 512-byte clusters, 64-bit refcounts: each refcount block covers 32 KiB, and the initial
    // one-cluster table 2 MiB, so writes over 32 MiB must grow the table several times.
    ASSERT_EQ(test::run_command("qemu-img create -q -f qcow2 -o cluster_size=512,refcount_bits=64 " + path + " 32M"), 0);
    std::vector<uint8_t> model(k_size, 0);
    {
        auto image = open_image(path);
        ASSERT_TRUE(image);
        Writer w(*image, model);
        for (uint64_t offset = 0; offset < k_size; offset += 96 << 10)
            w.write(offset, 1536, static_cast<uint8_t>(offset >> 15));
        expect_contents(*image, model);
    }
    expect_check_clean(path);
    test::write_file(dir.file("expected.raw"), model);
    expect_same(path, dir.file("expected.raw"));
}

TEST(Qcow2Image, ShortL1TableGrowsOnWrite)
{
    if (!test::have_qemu_img())
        GTEST_SKIP() << "qemu-img missing";
    TempDir dir;
    auto path = dir.file("short.qcow2");
    ASSERT_EQ(test::run_command("qemu-img create -q -f qcow2 " + path + " 1M"), 0);
    // Make the virtual size 32 MiB without growing the one-entry L1 (it covers 512 MiB, so
    // use 4 KiB clusters... instead: shrink l1_size to 0).
    auto bytes = test::read_file(path);
    qcow2::store_be32(bytes.data() + qcow2::k_off_l1_size, 0);
    test::write_file(path, bytes);
    std::vector<uint8_t> model(1 << 20, 0);
    {
        auto image = open_image(path);
        ASSERT_TRUE(image);
        std::vector<uint8_t> buffer(4096);
        EXPECT_EQ(test::disk_read(*image, 0, buffer), 0);
        auto data = test::pattern(4096, 5);
        EXPECT_EQ(test::disk_write(*image, 8192, data), 0);
        std::copy(data.begin(), data.end(), model.begin() + 8192);
    }
    expect_check_clean(path, true); // the abandoned original L1 cluster leaks
    test::write_file(dir.file("expected.raw"), model);
    expect_same(path, dir.file("expected.raw"));
}

TEST(Qcow2Image, ManyRequestsInFlightFromSeveralThreads)
{
    TempDir dir;
    auto path = dir.file("busy.qcow2");
    {
        UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT, 0600));
        ASSERT_TRUE(qcow2::create_image(fd.get(), qcow2::CreateOptions { k_size, 16 }));
    }
    auto image = open_image(path);
    ASSERT_TRUE(image);
    std::vector<std::vector<uint8_t>> blocks;
    for (int i = 0; i < 64; ++i)
        blocks.push_back(test::pattern(8192, static_cast<uint8_t>(i)));
    std::atomic<int> done { 0 };
    auto submit_range = [&](int first) {
        for (int i = first; i < 64; i += 2) {
            DiskRequest request { DiskOp::Write, static_cast<uint64_t>(i) * 300000 };
            request.iov.push_back({ blocks[i].data(), blocks[i].size() });
            image->submit(std::move(request), [&](int r) { EXPECT_EQ(r, 0); ++done; });
        }
    };
    std::thread a(submit_range, 0), b(submit_range, 1); // like two vCPU threads
    a.join();
    b.join();
    bool all = false;
    test::wait_for(image->completion_fd(), [&] { image->process_completions(); all = done == 64; }, &all);
    ASSERT_EQ(done.load(), 64);
    for (int i = 0; i < 64; ++i) {
        std::vector<uint8_t> back(8192);
        ASSERT_EQ(test::disk_read(*image, static_cast<uint64_t>(i) * 300000, back), 0);
        EXPECT_EQ(back, blocks[i]);
    }
}

} // namespace
} // namespace vireo
