// Bad qcow2 images: each gives one clear error at open, or -EIO for the request at run time;
// none crashes. Images come from our own creator with single fields patched.
#include <fcntl.h>

#include "block/open_image.h"
#include "block/qcow2/qcow2_create.h"
#include "block/qcow2/qcow2_format.h"
#include "block/qcow2/qcow2_header.h"
#include "block_test_util.h"

namespace vireo {
namespace {

using test::TempDir;
using namespace qcow2;

constexpr uint64_t k_cs = 4096; // cluster_bits 12: header 0, reftable 1, refblock 2, L1 3

std::string make_image(const TempDir& dir, const std::string& name, CreateOptions options = { 8 << 20, 12 })
{
    auto path = dir.file(name);
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600));
    EXPECT_TRUE(create_image(fd.get(), options));
    return path;
}

void patch(const std::string& path, uint64_t offset, std::initializer_list<uint8_t> bytes)
{
    UniqueFd fd(::open(path.c_str(), O_RDWR));
    std::vector<uint8_t> data(bytes);
    ASSERT_EQ(::pwrite(fd.get(), data.data(), data.size(), static_cast<off_t>(offset)), static_cast<ssize_t>(data.size()));
}
void patch64(const std::string& path, uint64_t offset, uint64_t value)
{
    uint8_t b[8];
    store_be64(b, value);
    patch(path, offset, { b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7] });
}
void patch32(const std::string& path, uint64_t offset, uint32_t value)
{
    uint8_t b[4];
    store_be32(b, value);
    patch(path, offset, { b[0], b[1], b[2], b[3] });
}

Result<std::unique_ptr<DiskImage>> open(const std::string& path, const std::string& format = "qcow2", bool read_only = false)
{
    DriveConfig config;
    config.file = path;
    config.format = format;
    config.read_only = read_only;
    return open_disk_image(config);
}

std::string open_error(const std::string& path, const std::string& format = "qcow2", bool read_only = false)
{
    auto image = open(path, format, read_only);
    return image ? std::string("(opened)") : image.error().describe();
}

TEST(Qcow2BadImage, Truncated)
{
    TempDir dir;
    auto path = dir.file("short.qcow2");
    test::write_file(path, { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3, 0, 0 });
    EXPECT_EQ(open_error(path), path + ": image is truncated (no complete qcow2 header)");
    // Probed: still qcow2 by its magic, still refused.
    EXPECT_EQ(open_error(path, ""), path + ": image is truncated (no complete qcow2 header)");
}

TEST(Qcow2BadImage, BadMagic)
{
    TempDir dir;
    auto path = dir.file("raw.img");
    test::write_file(path, std::vector<uint8_t>(65536, 0));
    EXPECT_EQ(open_error(path), path + ": not a qcow2 image (bad magic)");
}

TEST(Qcow2BadImage, BadVersionAndClusterBits)
{
    TempDir dir;
    auto path = make_image(dir, "a.qcow2");
    patch32(path, 4, 4);
    EXPECT_EQ(open_error(path), path + ": unsupported qcow2 version 4");
    path = make_image(dir, "b.qcow2");
    patch32(path, 20, 30);
    EXPECT_EQ(open_error(path), path + ": unsupported cluster size (cluster_bits 30, must be 9..21)");
    path = make_image(dir, "c.qcow2");
    patch32(path, 96, 7);
    EXPECT_EQ(open_error(path), path + ": invalid refcount order 7 (must be 0..6)");
}

TEST(Qcow2BadImage, L1OffsetPastEndOfFile)
{
    TempDir dir;
    auto path = make_image(dir, "l1.qcow2");
    patch64(path, 40, 1ULL << 40);
    EXPECT_EQ(open_error(path), path + ": L1 table (offset 0x10000000000) lies past the end of the file");
    patch64(path, 40, 3 * k_cs + 8);
    EXPECT_EQ(open_error(path), path + ": L1 table offset 0x3008 is not cluster aligned");
}

TEST(Qcow2BadImage, RefcountTableLargerThanFile)
{
    TempDir dir;
    auto path = make_image(dir, "rt.qcow2");
    patch32(path, 56, 1000);
    EXPECT_EQ(open_error(path), path + ": refcount table (offset 0x1000) lies past the end of the file");
    patch32(path, 56, 1u << 30);
    EXPECT_EQ(open_error(path), path + ": refcount table is too large (1073741824 clusters)");
}

TEST(Qcow2BadImage, UnknownIncompatibleBit)
{
    TempDir dir;
    auto path = make_image(dir, "bit.qcow2");
    patch64(path, k_off_incompatible, 1ULL << 10);
    EXPECT_EQ(open_error(path), path + ": unsupported qcow2 feature: unknown incompatible feature bit 10");
    patch64(path, k_off_incompatible, k_incompat_data_file);
    EXPECT_EQ(open_error(path), path + ": unsupported qcow2 feature: external data file");
    patch64(path, k_off_incompatible, k_incompat_extended_l2);
    EXPECT_EQ(open_error(path, "qcow2", true), path + ": unsupported qcow2 feature: extended L2 entries");
}

TEST(Qcow2BadImage, FeatureNameTableNamesUnknownBit)
{
    TempDir dir;
    auto path = make_image(dir, "named.qcow2");
    // Extension at 112 (where the creator put the end marker): one 48-byte entry.
    patch32(path, 112, k_ext_feature_names);
    patch32(path, 116, 48);
    patch(path, 120, { 0, 9, 'f', 'r', 'o', 'b' });
    patch64(path, k_off_incompatible, 1ULL << 9);
    EXPECT_EQ(open_error(path), path + ": unsupported qcow2 feature: frob");
}

TEST(Qcow2BadImage, DirtyImageRefusedReadWriteButReadableReadOnly)
{
    TempDir dir;
    auto path = make_image(dir, "dirty.qcow2");
    patch64(path, k_off_incompatible, k_incompat_dirty);
    EXPECT_NE(open_error(path).find("not closed cleanly"), std::string::npos);
    EXPECT_EQ(open_error(path, "qcow2", true), "(opened)");
    patch64(path, k_off_incompatible, k_incompat_corrupt);
    EXPECT_NE(open_error(path).find("marked corrupt"), std::string::npos);
    EXPECT_EQ(open_error(path, "qcow2", true), "(opened)");
}

TEST(Qcow2BadImage, UnalignedOrOutOfFileL2OffsetGivesEio)
{
    TempDir dir;
    auto path = make_image(dir, "l2.qcow2");
    patch64(path, 3 * k_cs, k_copied | (5 * k_cs + 8)); // L1[0]: unaligned L2 table
    patch64(path, 3 * k_cs + 8, 1ULL << 40);            // L1[1]: far past the end of the file
    auto image = open(path);
    ASSERT_TRUE(image) << image.error().describe();
    std::vector<uint8_t> buffer(4096);
    EXPECT_EQ(test::disk_read(**image, 0, buffer), -EIO);
    EXPECT_EQ(test::disk_write(**image, 0, buffer), -EIO);
    EXPECT_EQ(test::disk_read(**image, 512 * k_cs, buffer), -EIO); // L1[1] covers 2 MiB..4 MiB
    EXPECT_EQ(test::disk_write(**image, 512 * k_cs, buffer), -EIO);
    EXPECT_EQ(test::disk_read(**image, 1024 * k_cs, buffer), 0); // L1[2] is fine
    EXPECT_LT(test::read_file(path).size(), 1u << 20);           // nothing written far away
}

TEST(Qcow2BadImage, CorruptCompressedClusterGivesEio)
{
    TempDir dir;
    auto path = make_image(dir, "comp.qcow2");
    // L1[0] -> L2 at cluster 4; L2[0]: compressed, offset 5*cs, 1 sector of garbage.
    std::vector<uint8_t> file = test::read_file(path);
    file.resize(6 * k_cs, 0x99);
    store_be64(file.data() + 3 * k_cs, k_copied | 4 * k_cs);
    std::fill_n(file.begin() + 4 * k_cs, k_cs, 0);
    store_be64(file.data() + 4 * k_cs, k_compressed | 5 * k_cs);
    test::write_file(path, file);
    auto image = open(path, "qcow2", true);
    ASSERT_TRUE(image);
    std::vector<uint8_t> buffer(4096);
    EXPECT_EQ(test::disk_read(**image, 0, buffer), -EIO);
}

TEST(Qcow2BadImage, BackingChainLoops)
{
    TempDir dir;
    auto a = make_image(dir, "a.qcow2", { 8 << 20, 12, 4, "b.qcow2", "qcow2" });
    auto b = make_image(dir, "b.qcow2", { 8 << 20, 12, 4, "a.qcow2", "qcow2" });
    EXPECT_EQ(open_error(a), b + ": backing chain loops back to " + a);
    auto self = make_image(dir, "self.qcow2", { 8 << 20, 12, 4, "self.qcow2", "" });
    EXPECT_EQ(open_error(self, "qcow2", true), self + ": backing chain loops back to " + self);
}

TEST(Qcow2BadImage, MissingBackingFile)
{
    TempDir dir;
    auto path = make_image(dir, "orphan.qcow2", { 8 << 20, 12, 4, "gone.raw", "raw" });
    EXPECT_EQ(open_error(path), path + ": cannot open backing file " + dir.file("gone.raw") + ": No such file or directory");
}

TEST(Qcow2BadImage, BadBackingFormatAndNameLength)
{
    TempDir dir;
    auto path = make_image(dir, "fmt.qcow2", { 8 << 20, 12, 4, "base.img", "vmdk" });
    test::write_file(dir.file("base.img"), std::vector<uint8_t>(4096, 0));
    EXPECT_EQ(open_error(path), dir.file("base.img") + ": unsupported image format 'vmdk'");
    auto other = make_image(dir, "len.qcow2", { 8 << 20, 12, 4, "base.img", "" });
    patch32(other, 16, 5000);
    EXPECT_EQ(open_error(other), other + ": invalid backing file name length 5000");
}

TEST(Qcow2BadImage, EveryTruncationOpensOrFailsCleanly)
{
    TempDir dir;
    auto path = make_image(dir, "full.qcow2");
    auto full = test::read_file(path);
    for (size_t length : { 0ul, 4ul, 71ul, 72ul, 103ul, 200ul, 4095ul, 4096ul, 8192ul, 12287ul, 12288ul, 16383ul }) {
        auto cut = dir.file("cut.qcow2");
        test::write_file(cut, std::vector<uint8_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length)));
        auto image = open(cut);
        if (image) {
            std::vector<uint8_t> buffer(65536);
            int r = test::disk_read(**image, 0, buffer);
            EXPECT_TRUE(r == 0 || r == -EIO);
        }
    }
}

// read_header reads only as much of the first cluster as the file holds; the rest must read as
// the zeros past the end of a file (as when the whole cluster was read), so a header cluster
// cut short ends its extensions there. Such a file is never a whole image (its tables lie past
// the end), but what it is refused for must not depend on what memory held.
TEST(Qcow2BadImage, AHeaderClusterCutShortReadsZerosPastTheEnd)
{
    TempDir dir;
    CreateOptions options { 8 << 20, 16 };
    options.backing_file = "base.qcow2";
    options.backing_format = "qcow2";
    auto path = make_image(dir, "full.qcow2", options);
    auto full = test::read_file(path);
    auto header_of = [&](size_t length) {
        auto cut = dir.file("cut.qcow2");
        test::write_file(cut, std::vector<uint8_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length)));
        UniqueFd fd(::open(cut.c_str(), O_RDONLY));
        return read_header(fd.get(), length, "cut.qcow2");
    };
    auto whole = header_of(full.size());
    ASSERT_TRUE(whole) << whole.error().describe();
    ASSERT_EQ(whole->backing_format, "qcow2");
    ASSERT_LT(whole->backing_file_offset + whole->backing_file_size, 4096u);

    // Within the first extension's type, just past the name, and past the first 4 KiB: each is
    // refused for its tables, after the extensions parsed.
    for (size_t length : { size_t { whole->header_length } + 2, size_t { whole->backing_file_offset } + whole->backing_file_size + 1, size_t { 5000 } }) {
        auto cut = header_of(length);
        ASSERT_FALSE(cut);
        EXPECT_EQ(cut.error().describe(), "cut.qcow2: L1 table (offset 0x30000) lies past the end of the file") << length;
    }
}

} // namespace
} // namespace vireo
