// open_disk_image(): probing, missing files, locks, snapshot=on overlays, the facts of a chain.
#include <fcntl.h>

#include "block/open_image.h"
#include "block/qcow2/qcow2_create.h"
#include "block_test_util.h"

namespace vireo {
namespace {

using test::TempDir;

DriveConfig drive(const std::string& path, const std::string& format = "")
{
    DriveConfig config;
    config.file = path;
    config.format = format;
    return config;
}

TEST(BlockOpenImage, MissingFile)
{
    auto image = open_disk_image(drive("/nonexistent/vireo.img"));
    ASSERT_FALSE(image);
    EXPECT_EQ(image.error().describe(), "/nonexistent/vireo.img: No such file or directory");
    image = open_disk_image(drive("/nonexistent/vireo.img", "qcow2"));
    ASSERT_FALSE(image);
    EXPECT_EQ(image.error().describe(), "/nonexistent/vireo.img: No such file or directory");
}

TEST(BlockOpenImage, UnknownFormat)
{
    TempDir dir;
    test::write_file(dir.file("d.img"), std::vector<uint8_t>(512, 0));
    auto image = open_disk_image(drive(dir.file("d.img"), "vdi"));
    ASSERT_FALSE(image);
    EXPECT_EQ(image.error().describe(), dir.file("d.img") + ": unsupported image format 'vdi'");
}

TEST(BlockOpenImage, ProbesQcow2AndRaw)
{
    TempDir dir;
    {
        UniqueFd fd(::open(dir.file("q").c_str(), O_RDWR | O_CREAT, 0600));
        ASSERT_TRUE(qcow2::create_image(fd.get(), { 1 << 20, 16 }));
    }
    test::write_file(dir.file("r"), std::vector<uint8_t>(3 << 20, 0));
    auto q = open_disk_image(drive(dir.file("q")));
    ASSERT_TRUE(q);
    EXPECT_EQ((*q)->size(), 1u << 20);
    auto r = open_disk_image(drive(dir.file("r")));
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)->size(), 3u << 20);
    // A probed raw image refuses to become a qcow2 image through block 0.
    EXPECT_EQ(test::disk_write(**r, 0, { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 }), -EPERM);
    r = {};
    auto explicit_raw = open_disk_image(drive(dir.file("r"), "raw"));
    ASSERT_TRUE(explicit_raw);
    EXPECT_EQ(test::disk_write(**explicit_raw, 0, { 'Q', 'F', 'I', 0xfb }), 0);
}

TEST(BlockOpenImage, Qcow2IsLockedAgainstSecondWriter)
{
    TempDir dir;
    {
        UniqueFd fd(::open(dir.file("q").c_str(), O_RDWR | O_CREAT, 0600));
        ASSERT_TRUE(qcow2::create_image(fd.get(), { 1 << 20, 16 }));
    }
    auto first = open_disk_image(drive(dir.file("q"), "qcow2"));
    ASSERT_TRUE(first);
    auto second = open_disk_image(drive(dir.file("q"), "qcow2"));
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().describe(), dir.file("q") + ": image is locked by another process (is another VM using it?)");
}

// What query-block reports: the top's format, the chain's depth below it, its backing file.
TEST(BlockOpenImage, FactsOfTheOpenedChain)
{
    TempDir dir;
    test::write_file(dir.file("base.raw"), std::vector<uint8_t>(1 << 20, 0));
    {
        UniqueFd fd(::open(dir.file("top.qcow2").c_str(), O_RDWR | O_CREAT, 0600));
        ASSERT_TRUE(qcow2::create_image(fd.get(), { 2 << 20, 16, 4, "base.raw", "raw" }));
    }
    auto top = open_drive_image(drive(dir.file("top.qcow2")));
    ASSERT_TRUE(top) << top.error().describe();
    EXPECT_EQ(top->facts.format, "qcow2");
    EXPECT_EQ(top->facts.virtual_size, 2u << 20);
    EXPECT_EQ(top->facts.backing_depth, 1);
    EXPECT_EQ(top->facts.backing_file, "base.raw");
    top = {};
    auto base = open_drive_image(drive(dir.file("base.raw"), "raw"));
    ASSERT_TRUE(base);
    EXPECT_EQ(base->facts.format, "raw");
    EXPECT_EQ(base->facts.virtual_size, 1u << 20);
    EXPECT_EQ(base->facts.backing_depth, 0);
    EXPECT_EQ(base->facts.backing_file, "");
}

class SnapshotTest : public ::testing::TestWithParam<const char*> { };

TEST_P(SnapshotTest, WritesGoToATemporaryOverlay)
{
    TempDir dir;
    std::string format = GetParam();
    auto path = dir.file("base");
    auto base_data = test::pattern(4 << 20, 33);
    if (format == "raw") {
        test::write_file(path, base_data);
    } else {
        if (!test::have_qemu_img())
            GTEST_SKIP() << "qemu-img missing";
        test::write_file(dir.file("src.raw"), base_data);
        ASSERT_EQ(test::run_command("qemu-img convert -f raw -O qcow2 " + dir.file("src.raw") + " " + path), 0);
    }
    auto before = test::read_file(path);
    {
        auto config = drive(path, format);
        config.snapshot = true;
        auto image = open_disk_image(config);
        ASSERT_TRUE(image) << image.error().describe();
        EXPECT_FALSE((*image)->read_only());
        auto data = test::pattern(10000, 1);
        EXPECT_EQ(test::disk_write(**image, 70000, data), 0);
        EXPECT_EQ(test::disk_simple(**image, DiskOp::Flush), 0);
        std::vector<uint8_t> back(200000);
        EXPECT_EQ(test::disk_read(**image, 0, back), 0);
        auto expected = std::vector<uint8_t>(base_data.begin(), base_data.begin() + 200000);
        std::copy(data.begin(), data.end(), expected.begin() + 70000);
        EXPECT_TRUE(back == expected);
        // Another snapshot user may share the base (read lock only).
        auto other = open_disk_image(config);
        EXPECT_TRUE(other);
    }
    EXPECT_TRUE(test::read_file(path) == before);
}

INSTANTIATE_TEST_SUITE_P(Formats, SnapshotTest, ::testing::Values("raw", "qcow2"));

} // namespace
} // namespace vireo
