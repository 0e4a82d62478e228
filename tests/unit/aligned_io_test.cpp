// aligned_io: transfers on an O_DIRECT file at unaligned offsets, lengths and buffer addresses
// bounce (a plain pread there fails with EINVAL); partial-block writes keep the other bytes;
// a read across an end of file that is not block aligned reads zeros past it.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "block/aligned_io.h"
#include "block/file_io.h"
#include "block_test_util.h"

namespace vireo {
namespace {

class AlignedIoTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_path = m_dir.file("file");
        m_model = test::pattern(3 * 4096 + 1000, 9); // ends inside a block
        test::write_file(m_path, m_model);
        m_fd = UniqueFd(::open(m_path.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC));
        if (!m_fd.valid())
            GTEST_SKIP() << "no O_DIRECT on " << m_dir.path();
        m_alignment = direct_io_alignment(m_fd.get());
    }
    std::vector<uint8_t> contents() const { return test::read_file(m_path); }

    test::TempDir m_dir;
    std::string m_path;
    std::vector<uint8_t> m_model;
    UniqueFd m_fd;
    uint64_t m_alignment = 1;
};

TEST_F(AlignedIoTest, DirectFileReportsItsAlignment)
{
    EXPECT_GE(m_alignment, 512u);
    EXPECT_EQ(m_alignment & (m_alignment - 1), 0u);
    int buffered = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
    UniqueFd guard(buffered);
    EXPECT_EQ(direct_io_alignment(buffered), 1u);
}

TEST_F(AlignedIoTest, UnalignedReadBouncesWherePreadFails)
{
    std::vector<uint8_t> buffer(1000);
    EXPECT_LT(::pread(m_fd.get(), buffer.data() + 1, 700, 333), 0); // the reason for all this
    ASSERT_EQ(pread_aligned(m_fd.get(), m_alignment, std::span(buffer).subspan(1, 700), 333), 0);
    EXPECT_TRUE(std::equal(buffer.begin() + 1, buffer.begin() + 701, m_model.begin() + 333));
}

TEST_F(AlignedIoTest, PartialBlockWritesKeepTheirNeighbours)
{
    auto data = test::pattern(5000, 200);
    ASSERT_EQ(pwrite_aligned(m_fd.get(), m_alignment, std::span(data).subspan(3, 4990), 100), 0);
    std::copy(data.begin() + 3, data.begin() + 4993, m_model.begin() + 100);
    ASSERT_EQ(pwrite_aligned(m_fd.get(), m_alignment, std::span(data).first(8), 9000), 0); // inside one block
    std::copy(data.begin(), data.begin() + 8, m_model.begin() + 9000);
    EXPECT_TRUE(contents() == m_model);
}

TEST_F(AlignedIoTest, ReadAcrossUnalignedEndOfFileReadsZerosPastIt)
{
    AlignedBuffer buffer(4 * 4096);
    std::memset(buffer.data(), 0xee, buffer.size());
    ASSERT_EQ(pread_aligned(m_fd.get(), m_alignment, buffer.span(), 0), 0);
    EXPECT_TRUE(std::equal(m_model.begin(), m_model.end(), buffer.data()));
    EXPECT_TRUE(std::all_of(buffer.data() + m_model.size(), buffer.data() + buffer.size(), [](uint8_t b) { return b == 0; }));
    std::vector<uint8_t> tail(3000, 0xee);
    ASSERT_EQ(readv_aligned(m_fd.get(), m_alignment, { { tail.data() + 1, 2000 } }, m_model.size() - 500), 0);
    EXPECT_TRUE(std::equal(m_model.end() - 500, m_model.end(), tail.begin() + 1));
    EXPECT_EQ(tail[501], 0);
}

// On a device with 4 KiB direct-I/O alignment a file may end on a 512-byte boundary that is
// not a 4 KiB one: the continuation after that short read fails with EINVAL, which is the end
// of file too. Only an EINVAL before any byte was read is a real error.
TEST(ShortDirectRead, EinvalAfterAnyBytesIsEndOfFile)
{
    EXPECT_TRUE(short_direct_read_at_eof(EINVAL, 3 * 512));
    EXPECT_TRUE(short_direct_read_at_eof(EINVAL, 700));
    EXPECT_FALSE(short_direct_read_at_eof(EINVAL, 0));
    EXPECT_FALSE(short_direct_read_at_eof(EIO, 700));
}

class AlignedEngineTest : public AlignedIoTest, public ::testing::WithParamInterface<IoEngineKind> { };

// Runs one request through submit_aligned and waits for it.
int64_t run(IoEngine& engine, uint64_t alignment, IoRequest request)
{
    bool finished = false;
    int64_t result = -9999;
    submit_aligned(engine, alignment, std::move(request), [&](int64_t r) {
        result = r;
        finished = true;
    });
    test::wait_for(engine.completion_fd(), [&] { engine.process_completions(); }, &finished);
    return result;
}

TEST_P(AlignedEngineTest, UnalignedRequestsBounce)
{
    auto engine = create_io_engine(GetParam());
    ASSERT_TRUE(engine);
    auto data = test::pattern(6000, 50);
    EXPECT_EQ(run(**engine, m_alignment, { IoOp::Write, m_fd.get(), 512, { { data.data() + 1, 1024 }, { data.data() + 2000, 3072 } } }), 4096);
    std::copy(data.begin() + 1, data.begin() + 1025, m_model.begin() + 512);
    std::copy(data.begin() + 2000, data.begin() + 5072, m_model.begin() + 1536);
    EXPECT_EQ(run(**engine, m_alignment, { IoOp::Write, m_fd.get(), 7001, { { data.data(), 10 } } }), 10);
    std::copy(data.begin(), data.begin() + 10, m_model.begin() + 7001);
    EXPECT_TRUE(contents() == m_model);

    std::vector<uint8_t> back(m_model.size() + 100, 0xee);
    EXPECT_EQ(run(**engine, m_alignment, { IoOp::Read, m_fd.get(), 0, { { back.data() + 3, m_model.size() + 50 } } }),
        static_cast<int64_t>(m_model.size() + 50));
    EXPECT_TRUE(std::equal(m_model.begin(), m_model.end(), back.begin() + 3));
    EXPECT_EQ(back[3 + m_model.size()], 0); // past the end of file
}

INSTANTIATE_TEST_SUITE_P(Engines, AlignedEngineTest, ::testing::Values(IoEngineKind::IoUring, IoEngineKind::ThreadPool));

} // namespace
} // namespace vireo
