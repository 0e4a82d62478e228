// qcow2 with cache=none: the image and its whole backing chain are open with O_DIRECT (else
// large reads copy every byte through the page cache), and guest buffers at any address or
// sector offset still work, copy on write included.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "block/open_image.h"
#include "block_test_util.h"

namespace vireo {
namespace {

constexpr uint64_t k_size = 8ULL << 20;

// The open flags of this process's descriptors of path, from /proc/self/fdinfo.
std::vector<long> open_flags_of(const std::string& path)
{
    std::vector<long> flags;
    auto target = std::filesystem::canonical(path);
    for (auto const& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        auto linked = std::filesystem::read_symlink(entry.path(), ec);
        if (ec || linked != target)
            continue;
        std::ifstream info("/proc/self/fdinfo/" + entry.path().filename().string());
        std::string key;
        while (info >> key) {
            if (key == "flags:") {
                std::string octal;
                info >> octal;
                flags.push_back(std::stol(octal, nullptr, 8));
            }
        }
    }
    return flags;
}

std::unique_ptr<DiskImage> open_chain_top(const std::string& path, CacheMode cache)
{
    DriveConfig config;
    config.file = path;
    config.format = "qcow2";
    config.cache = cache;
    config.aio = AioMode::IoUring;
    auto image = open_disk_image(config);
    EXPECT_TRUE(image) << (image ? "" : image.error().describe());
    return image ? std::move(*image) : nullptr;
}

class Qcow2DirectTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!test::have_qemu_img())
            GTEST_SKIP() << "qemu-img missing";
        m_model = test::pattern(k_size, 21);
        test::write_file(m_dir.file("base.raw"), m_model);
        ASSERT_EQ(test::run_command("cd " + m_dir.path() + " && qemu-img create -q -f qcow2 -F raw -b base.raw mid.qcow2"
                      + " && qemu-io -f qcow2 -c 'write -P 0x33 1M 192k' mid.qcow2"
                      + " && qemu-img create -q -f qcow2 -F qcow2 -b mid.qcow2 top.qcow2"),
            0);
        std::fill_n(m_model.begin() + (1 << 20), 192 << 10, 0x33);
    }
    test::TempDir m_dir;
    std::vector<uint8_t> m_model;
};

TEST_F(Qcow2DirectTest, CacheNoneOpensTheWholeChainDirect)
{
    for (CacheMode cache : { CacheMode::None, CacheMode::Writeback }) {
        auto image = open_chain_top(m_dir.file("top.qcow2"), cache);
        ASSERT_TRUE(image);
        for (auto name : { "top.qcow2", "mid.qcow2", "base.raw" }) {
            auto flags = open_flags_of(m_dir.file(name));
            ASSERT_EQ(flags.size(), 1u) << name;
            EXPECT_EQ((flags[0] & O_DIRECT) != 0, cache == CacheMode::None) << name;
        }
    }
}

// Guest buffers at odd addresses, single sectors, requests across clusters and through the
// chain: each either goes straight to the O_DIRECT file or bounces, never fails.
TEST_F(Qcow2DirectTest, UnalignedGuestBuffersReadAndCopyOnWrite)
{
    auto path = m_dir.file("top.qcow2");
    {
        auto image = open_chain_top(path, CacheMode::None);
        ASSERT_TRUE(image);
        std::vector<uint8_t> storage(300000);
        auto write = [&](uint64_t offset, size_t length, size_t address_skew, uint8_t seed) {
            auto data = test::pattern(length, seed);
            std::copy(data.begin(), data.end(), storage.begin() + static_cast<std::ptrdiff_t>(address_skew));
            DiskRequest request { DiskOp::Write, offset };
            request.iov.push_back({ storage.data() + address_skew, length });
            ASSERT_EQ(test::run_request(*image, std::move(request)), 0) << "write at " << offset;
            std::copy(data.begin(), data.end(), m_model.begin() + static_cast<std::ptrdiff_t>(offset));
        };
        write(512, 512, 1, 1);                    // one sector, copy on write from the raw base
        write((1 << 20) + 4096, 4096, 0, 2);      // copy on write from mid
        write((1 << 20) + 8192, 4096, 7, 3);      // now mapped, buffer unaligned
        write((2 << 20) - 1536, 200000, 512, 4);  // across clusters, sector-aligned buffer
        write(k_size - 512, 512, 3, 5);           // the last sector
        ASSERT_EQ(test::disk_simple(*image, DiskOp::Flush), 0);

        for (size_t skew : { 0, 1, 512 }) {
            std::vector<uint8_t> back(k_size + 512);
            DiskRequest request { DiskOp::Read, 0 };
            request.iov.push_back({ back.data() + skew, k_size / 2 });
            request.iov.push_back({ back.data() + skew + k_size / 2, k_size / 2 });
            ASSERT_EQ(test::run_request(*image, std::move(request)), 0);
            EXPECT_TRUE(std::equal(m_model.begin(), m_model.end(), back.begin() + static_cast<std::ptrdiff_t>(skew)))
                << "skew " << skew;
        }
    }
    std::string output;
    EXPECT_EQ(test::run_command("qemu-img check " + path, &output), 0) << output;
    test::write_file(m_dir.file("expected.raw"), m_model);
    EXPECT_EQ(test::run_command("qemu-img compare -F raw " + path + " " + m_dir.file("expected.raw"), &output), 0) << output;
}

} // namespace
} // namespace vireo
