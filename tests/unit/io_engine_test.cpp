#include "block/io_engine.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "block_test_util.h"

namespace vireo {
namespace {

using test::TempDir;

class IoEngineTest : public ::testing::TestWithParam<IoEngineKind> {
protected:
    std::unique_ptr<IoEngine> make_engine()
    {
        auto engine = GetParam() == IoEngineKind::IoUring ? create_io_uring_engine(4) : create_thread_pool_engine(2);
        if (!engine)
            return nullptr;
        return std::move(*engine);
    }

    int64_t run(IoEngine& engine, IoRequest request)
    {
        bool finished = false;
        int64_t result = -9999;
        engine.submit(std::move(request), [&](int64_t r) {
            result = r;
            finished = true;
        });
        test::wait_for(engine.completion_fd(), [&] { engine.process_completions(); }, &finished);
        return result;
    }

    // count 4 KiB blocks of distinct patterns (the first one filled from first_seed).
    static std::vector<std::vector<uint8_t>> patterned_blocks(int count, int first_seed)
    {
        std::vector<std::vector<uint8_t>> blocks;
        for (int i = 0; i < count; ++i)
            blocks.push_back(test::pattern(4096, static_cast<uint8_t>(first_seed + i)));
        return blocks;
    }

    // Submits block i as a write at i * 4 KiB; each completion checks its size and counts in done.
    static void submit_block_writes(IoEngine& engine, int fd, std::vector<std::vector<uint8_t>>& blocks, int& done)
    {
        for (size_t i = 0; i < blocks.size(); ++i)
            engine.submit(IoRequest { IoOp::Write, fd, i * 4096, { { blocks[i].data(), 4096 } } },
                [&done](int64_t r) { EXPECT_EQ(r, 4096); ++done; });
    }

    static void wait_until_done(IoEngine& engine, const int& done, int count)
    {
        bool all = false;
        test::wait_for(engine.completion_fd(), [&] { engine.process_completions(); all = done == count; }, &all);
    }

    static void expect_file_holds(const std::string& path, const std::vector<std::vector<uint8_t>>& blocks)
    {
        auto contents = test::read_file(path);
        ASSERT_EQ(contents.size(), blocks.size() * 4096);
        for (size_t i = 0; i < blocks.size(); ++i)
            EXPECT_TRUE(std::equal(blocks[i].begin(), blocks[i].end(), contents.begin() + static_cast<ptrdiff_t>(i * 4096)));
    }
};

TEST_P(IoEngineTest, VectoredWriteThenReadBack)
{
    TempDir dir;
    auto engine = make_engine();
    if (!engine)
        GTEST_SKIP() << "engine unavailable";
    UniqueFd fd(::open(dir.file("f").c_str(), O_RDWR | O_CREAT, 0600));
    ASSERT_TRUE(fd.valid());

    auto a = test::pattern(4096, 1);
    auto b = test::pattern(1000, 2);
    IoRequest write { IoOp::Write, fd.get(), 512, { { a.data(), a.size() }, { b.data(), b.size() } } };
    EXPECT_EQ(run(*engine, write), 5096);
    EXPECT_EQ(run(*engine, IoRequest { IoOp::Fdatasync, fd.get() }), 0);

    std::vector<uint8_t> x(4096), y(1000 + 2000);
    IoRequest read { IoOp::Read, fd.get(), 512, { { x.data(), x.size() }, { y.data(), y.size() } } };
    std::fill(y.begin(), y.end(), 0xee);
    // Reading past the end of the file zero-fills the tail.
    EXPECT_EQ(run(*engine, read), 7096);
    EXPECT_EQ(x, a);
    EXPECT_TRUE(std::equal(b.begin(), b.end(), y.begin()));
    EXPECT_TRUE(std::all_of(y.begin() + 1000, y.end(), [](uint8_t v) { return v == 0; }));
}

TEST_P(IoEngineTest, ErrorsAndPostedCompletions)
{
    auto engine = make_engine();
    if (!engine)
        GTEST_SKIP() << "engine unavailable";
    std::vector<uint8_t> x(16);
    EXPECT_EQ(run(*engine, IoRequest { IoOp::Read, -1, 0, { { x.data(), x.size() } } }), -EBADF);

    bool finished = false;
    int64_t result = 0;
    engine->post([&](int64_t r) { result = r; finished = true; }, -EINVAL);
    EXPECT_FALSE(finished); // never inside post()
    test::wait_for(engine->completion_fd(), [&] { engine->process_completions(); }, &finished);
    EXPECT_EQ(result, -EINVAL);
}

TEST_P(IoEngineTest, ManyRequestsBeyondQueueDepth)
{
    TempDir dir;
    auto engine = make_engine();
    if (!engine)
        GTEST_SKIP() << "engine unavailable";
    UniqueFd fd(::open(dir.file("f").c_str(), O_RDWR | O_CREAT, 0600));
    auto blocks = patterned_blocks(64, 0);
    int done = 0;
    submit_block_writes(*engine, fd.get(), blocks, done);
    wait_until_done(*engine, done, 64);
    ASSERT_EQ(done, 64);
    expect_file_holds(dir.file("f"), blocks);
}

// True if fd becomes readable within timeout_ms.
bool readable_within(int fd, int timeout_ms)
{
    pollfd pfd { fd, POLLIN, 0 };
    return ::poll(&pfd, 1, timeout_ms) == 1;
}

TEST_P(IoEngineTest, BatchIsSubmittedAtItsEnd)
{
    TempDir dir;
    auto engine = make_engine();
    if (!engine)
        GTEST_SKIP() << "engine unavailable";
    UniqueFd fd(::open(dir.file("f").c_str(), O_RDWR | O_CREAT, 0600));
    auto blocks = patterned_blocks(3, 1);
    int done = 0;

    engine->begin_batch();
    engine->begin_batch(); // batches nest: only the outermost end submits
    submit_block_writes(*engine, fd.get(), blocks, done);
    engine->end_batch();
    if (GetParam() == IoEngineKind::IoUring) {
        EXPECT_FALSE(readable_within(engine->completion_fd(), 100)); // the kernel has not seen them
    }
    engine->end_batch();

    wait_until_done(*engine, done, 3);
    EXPECT_EQ(done, 3);
    expect_file_holds(dir.file("f"), blocks);
}

// Requests beyond the ring's depth wait in a backlog that process_completions() submits; if
// they finish at once, their completions must still ring the completion fd (the doorbell was
// once consumed after that submission, and such completions sat unreaped).
TEST_P(IoEngineTest, BacklogCompletionsRingTheDoorbell)
{
    TempDir dir;
    auto engine = make_engine(); // io_uring: depth 4
    if (!engine)
        GTEST_SKIP() << "engine unavailable";
    UniqueFd fd(::open(dir.file("f").c_str(), O_RDWR | O_CREAT, 0600));
    auto block = test::pattern(4096, 7);
    ASSERT_EQ(::pwrite(fd.get(), block.data(), block.size(), 0), 4096);
    constexpr int k_requests = 32;
    std::vector<std::vector<uint8_t>> buffers(k_requests, std::vector<uint8_t>(4096));
    int done = 0;
    for (int i = 0; i < k_requests; ++i)
        engine->submit(IoRequest { IoOp::Read, fd.get(), 0, { { buffers[i].data(), 4096 } } },
            [&](int64_t r) { EXPECT_EQ(r, 4096); ++done; });
    // Process only when the fd says so: a lost doorbell shows up as a timeout.
    while (done < k_requests) {
        ASSERT_TRUE(readable_within(engine->completion_fd(), 5000)) << done << " of " << k_requests << " completed";
        engine->process_completions();
    }
    for (auto const& buffer : buffers)
        EXPECT_EQ(buffer, block);
}

INSTANTIATE_TEST_SUITE_P(Engines, IoEngineTest, ::testing::Values(IoEngineKind::IoUring, IoEngineKind::ThreadPool));

} // namespace
} // namespace vireo
