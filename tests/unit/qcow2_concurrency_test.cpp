// Qcow2Image with many requests in flight at once, from two submitting threads: mapped reads
// and writes (straight to the I/O engine) interleaved with allocating copy-on-write writes
// (the worker), reads through a backing file, and discards (which wait for mapped I/O in
// flight before freeing clusters). Requests never overlap, so the expected contents are known.
#include <fcntl.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "block/open_image.h"
#include "block_test_util.h"

namespace vireo {
namespace {

constexpr uint64_t k_size = 16ULL << 20;
constexpr uint64_t k_cluster = 65536;
constexpr uint64_t k_block = 4096;

class Qcow2ConcurrencyTest : public ::testing::TestWithParam<std::pair<AioMode, CacheMode>> { };

TEST_P(Qcow2ConcurrencyTest, MixedRequestsInFlightKeepContents)
{
    if (!test::have_qemu_img())
        GTEST_SKIP() << "qemu-img missing";
    test::TempDir dir;
    std::vector<uint8_t> model = test::pattern(k_size, 3);
    test::write_file(dir.file("base.raw"), model);
    auto path = dir.file("top.qcow2");
    ASSERT_EQ(test::run_command("cd " + dir.path() + " && qemu-img create -q -f qcow2 -F raw -b base.raw top.qcow2"), 0);

    DriveConfig config;
    config.file = path;
    config.format = "qcow2";
    config.discard = true;
    config.aio = GetParam().first;
    config.cache = GetParam().second;
    auto opened = open_disk_image(config);
    ASSERT_TRUE(opened) << opened.error().describe();
    auto& image = **opened;

    // Allocate every other cluster of the first half, so that later writes there are mapped.
    for (uint64_t c = 0; c < k_size / k_cluster / 2; c += 2) {
        auto data = test::pattern(k_cluster, static_cast<uint8_t>(c));
        ASSERT_EQ(test::disk_write(image, c * k_cluster, data), 0);
        std::copy(data.begin(), data.end(), model.begin() + static_cast<std::ptrdiff_t>(c * k_cluster));
    }

    // Each 4 KiB block gets at most one request; whole clusters at 7 mod 16 are discarded.
    std::mt19937 rng(42);
    uint64_t blocks = k_size / k_block;
    std::vector<uint64_t> order(blocks);
    for (uint64_t i = 0; i < blocks; ++i)
        order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    struct Op {
        DiskOp op;
        uint64_t offset;
        std::vector<uint8_t> buffer;
    };
    std::vector<Op> ops;
    for (uint64_t c = 7; c < k_size / k_cluster; c += 16) {
        ops.push_back({ DiskOp::Discard, c * k_cluster, {} });
        std::fill_n(model.begin() + static_cast<std::ptrdiff_t>(c * k_cluster), k_cluster, 0);
    }
    for (uint64_t i = 0; i < 1500; ++i) {
        uint64_t block = order[i];
        if (block * k_block / k_cluster % 16 == 7)
            continue;
        if (i % 3 == 0) {
            ops.push_back({ DiskOp::Read, block * k_block, std::vector<uint8_t>(k_block) });
        } else {
            auto data = test::pattern(k_block, static_cast<uint8_t>(i));
            std::copy(data.begin(), data.end(), model.begin() + static_cast<std::ptrdiff_t>(block * k_block));
            ops.push_back({ DiskOp::Write, block * k_block, std::move(data) });
        }
    }
    std::shuffle(ops.begin(), ops.end(), rng);

    std::atomic<size_t> finished { 0 };
    std::atomic<int> failures { 0 };
    std::atomic<bool> released { false };
    auto submit_every_other = [&](size_t first) {
        for (size_t i = first; i < ops.size(); i += 2) {
            auto& op = ops[i];
            DiskRequest request { op.op, op.offset };
            if (op.op == DiskOp::Discard)
                request.length = k_cluster;
            else
                request.iov.push_back({ op.buffer.data(), op.buffer.size() });
            image.submit(std::move(request), [&](int r) {
                failures += r != 0;
                ++finished;
            });
        }
        // io_uring cancels (-ECANCELED) what a thread submitted when that thread exits: stay
        // until the main thread has stopped waiting for completions.
        while (!released)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
    std::thread a(submit_every_other, 0), b(submit_every_other, 1);
    bool all = false;
    test::wait_for(image.completion_fd(), [&] { image.process_completions(); all = finished == ops.size(); }, &all, 60'000);
    released = true;
    a.join();
    b.join();
    ASSERT_EQ(finished.load(), ops.size()) << "requests still in flight after 60 s";
    EXPECT_EQ(failures.load(), 0);

    // Reads in the batch saw what was there before (nothing else touched their block).
    for (auto const& op : ops) {
        if (op.op == DiskOp::Read) {
            EXPECT_TRUE(std::equal(op.buffer.begin(), op.buffer.end(), model.begin() + static_cast<std::ptrdiff_t>(op.offset)))
                << "read at " << op.offset;
        }
    }
    // 1 MiB reads, all in flight at once (with io_uring, large ones go to the copier threads).
    std::vector<uint8_t> back(k_size);
    finished = 0;
    constexpr uint64_t k_piece = 1 << 20;
    for (uint64_t offset = 0; offset < k_size; offset += k_piece) {
        DiskRequest request { DiskOp::Read, offset };
        request.iov.push_back({ back.data() + offset, k_piece / 2 });
        request.iov.push_back({ back.data() + offset + k_piece / 2, k_piece / 2 });
        image.submit(std::move(request), [&](int r) {
            failures += r != 0;
            ++finished;
        });
    }
    all = false;
    test::wait_for(image.completion_fd(), [&] { image.process_completions(); all = finished == k_size / k_piece; }, &all);
    ASSERT_EQ(finished.load(), k_size / k_piece);
    EXPECT_EQ(failures.load(), 0);
    EXPECT_TRUE(back == model);
    ASSERT_EQ(test::disk_simple(image, DiskOp::Flush), 0);
    opened->reset();
    std::string output;
    EXPECT_EQ(test::run_command("qemu-img check " + path, &output), 0) << output;
    test::write_file(dir.file("expected.raw"), model);
    EXPECT_EQ(test::run_command("qemu-img compare -F raw " + path + " " + dir.file("expected.raw"), &output), 0) << output;
}

INSTANTIATE_TEST_SUITE_P(Engines, Qcow2ConcurrencyTest,
    ::testing::Values(std::pair { AioMode::IoUring, CacheMode::Writeback }, std::pair { AioMode::Threads, CacheMode::Writeback },
        std::pair { AioMode::IoUring, CacheMode::None }),
    [](const auto& param_info) {
        std::string name = param_info.param.first == AioMode::IoUring ? "io_uring" : "threads";
        return name + (param_info.param.second == CacheMode::None ? "_direct" : "");
    });

} // namespace
} // namespace vireo
