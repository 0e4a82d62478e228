#include "block/raw_image.h"

#include "block_test_util.h"

namespace vireo {
namespace {

using test::TempDir;

std::unique_ptr<RawImage> open_raw(const std::string& path, RawOptions options = {})
{
    auto image = RawImage::open(path, options);
    EXPECT_TRUE(image) << (image ? "" : image.error().describe());
    return image ? std::move(*image) : nullptr;
}

class RawImageTest : public ::testing::TestWithParam<std::pair<IoEngineKind, CacheMode>> {
protected:
    RawOptions options(Access access = Access::ReadWrite)
    {
        RawOptions o;
        o.access = access;
        o.engine = GetParam().first;
        o.cache = GetParam().second;
        o.discard = true;
        return o;
    }
};

TEST_P(RawImageTest, WriteReadFlush)
{
    TempDir dir;
    test::write_file(dir.file("disk.raw"), std::vector<uint8_t>(1 << 20, 0));
    auto image = open_raw(dir.file("disk.raw"), options());
    ASSERT_TRUE(image);
    EXPECT_EQ(image->size(), 1u << 20);

    auto data = test::pattern(8192, 3);
    EXPECT_EQ(test::disk_write(*image, 4096, data), 0);
    // Unaligned offset and length (bounced under O_DIRECT).
    auto odd = test::pattern(700, 9);
    EXPECT_EQ(test::disk_write(*image, 100000 + 3, odd), 0);
    EXPECT_EQ(test::disk_simple(*image, DiskOp::Flush), 0);

    std::vector<uint8_t> back(8192);
    EXPECT_EQ(test::disk_read(*image, 4096, back), 0);
    EXPECT_EQ(back, data);
    std::vector<uint8_t> odd_back(700);
    EXPECT_EQ(test::disk_read(*image, 100000 + 3, odd_back), 0);
    EXPECT_EQ(odd_back, odd);

    auto file = test::read_file(dir.file("disk.raw"));
    EXPECT_TRUE(std::equal(data.begin(), data.end(), file.begin() + 4096));
    EXPECT_TRUE(std::equal(odd.begin(), odd.end(), file.begin() + 100003));
}

TEST_P(RawImageTest, WriteZeroesAndDiscard)
{
    TempDir dir;
    test::write_file(dir.file("disk.raw"), test::pattern(1 << 20, 1));
    auto image = open_raw(dir.file("disk.raw"), options());
    ASSERT_TRUE(image);
    EXPECT_EQ(test::disk_simple(*image, DiskOp::WriteZeroes, 65536, 131072, false), 0);
    EXPECT_EQ(test::disk_simple(*image, DiskOp::WriteZeroes, 512, 1024, true), 0);
    EXPECT_EQ(test::disk_simple(*image, DiskOp::Discard, 524288, 65536), 0);
    std::vector<uint8_t> back(131072);
    EXPECT_EQ(test::disk_read(*image, 65536, back), 0);
    EXPECT_TRUE(std::all_of(back.begin(), back.end(), [](uint8_t v) { return v == 0; }));
    std::vector<uint8_t> small(1024);
    EXPECT_EQ(test::disk_read(*image, 512, small), 0);
    EXPECT_TRUE(std::all_of(small.begin(), small.end(), [](uint8_t v) { return v == 0; }));
    EXPECT_EQ(test::read_file(dir.file("disk.raw")).size(), 1u << 20); // KEEP_SIZE
}

TEST_P(RawImageTest, OutOfRangeAndReadOnly)
{
    TempDir dir;
    test::write_file(dir.file("disk.raw"), std::vector<uint8_t>(65536, 0));
    {
        auto image = open_raw(dir.file("disk.raw"), options());
        std::vector<uint8_t> buffer(4096);
        EXPECT_EQ(test::disk_read(*image, 65536 - 2048, buffer), -EINVAL);
        EXPECT_EQ(test::disk_simple(*image, DiskOp::WriteZeroes, 65536, 512), -EINVAL);
    }
    auto image = open_raw(dir.file("disk.raw"), options(Access::ReadOnly));
    ASSERT_TRUE(image);
    EXPECT_TRUE(image->read_only());
    EXPECT_EQ(test::disk_write(*image, 0, std::vector<uint8_t>(512, 1)), -EROFS);
    EXPECT_EQ(test::disk_simple(*image, DiskOp::Flush), 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, RawImageTest,
    ::testing::Values(std::pair { IoEngineKind::IoUring, CacheMode::Writeback },
        std::pair { IoEngineKind::ThreadPool, CacheMode::Writeback },
        std::pair { IoEngineKind::IoUring, CacheMode::None },
        std::pair { IoEngineKind::ThreadPool, CacheMode::DirectSync },
        std::pair { IoEngineKind::ThreadPool, CacheMode::Writethrough }));

TEST(RawImageLock, SecondReadWriteOpenFails)
{
    TempDir dir;
    test::write_file(dir.file("disk.raw"), std::vector<uint8_t>(4096, 0));
    auto first = open_raw(dir.file("disk.raw"));
    ASSERT_TRUE(first);
    auto second = RawImage::open(dir.file("disk.raw"), {});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().describe(), dir.file("disk.raw") + ": image is locked by another process (is another VM using it?)");
    RawOptions ro;
    ro.access = Access::ReadOnly;
    EXPECT_FALSE(RawImage::open(dir.file("disk.raw"), ro));
    first.reset();
    EXPECT_TRUE(RawImage::open(dir.file("disk.raw"), {}));
}

TEST(RawImageLock, TwoReadOnlyOpensShare)
{
    TempDir dir;
    test::write_file(dir.file("disk.raw"), std::vector<uint8_t>(4096, 0));
    RawOptions ro;
    ro.access = Access::ReadOnly;
    auto a = RawImage::open(dir.file("disk.raw"), ro);
    auto b = RawImage::open(dir.file("disk.raw"), ro);
    EXPECT_TRUE(a);
    EXPECT_TRUE(b);
}

TEST(RawImageOpen, MissingFileIsOneLine)
{
    auto image = RawImage::open("/nonexistent/disk.img", {});
    ASSERT_FALSE(image);
    EXPECT_EQ(image.error().describe(), "/nonexistent/disk.img: No such file or directory");
}

TEST(RawImageOpen, ProbedImageRefusesQcow2MagicInBlockZero)
{
    TempDir dir;
    test::write_file(dir.file("disk.raw"), std::vector<uint8_t>(4096, 0));
    RawOptions options;
    options.probed = true;
    auto image = open_raw(dir.file("disk.raw"), options);
    std::vector<uint8_t> evil { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 };
    EXPECT_EQ(test::disk_write(*image, 0, evil), -EPERM);
    EXPECT_EQ(test::disk_write(*image, 512, evil), 0);
}

} // namespace
} // namespace vireo
