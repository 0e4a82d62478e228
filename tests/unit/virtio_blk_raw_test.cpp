// virtio-blk on the real raw image and thread-pool I/O engine: a write then a read through the
// mock queue, completions picked up from the image's completion fd as the event loop would.
#include <gtest/gtest.h>

#include <poll.h>

#include <fstream>

#include "block/raw_image.h"
#include "devices/virtio/blk/virtio_blk.h"
#include "block_test_util.h"
#include "virtio_blk_fakes.h"
#include "virtio_test_support.h"

namespace vireo {
namespace {

using namespace virtio_blk;

TEST(VirtioBlkRaw, WriteThenReadThroughRawImage)
{
    test::TempDir dir;
    std::string path = dir.file("disk.raw");
    {
        std::ofstream file(path, std::ios::binary);
        std::vector<char> zeros(64 * 1024, 0);
        file.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    }
    auto image = RawImage::open(path, RawOptions {});
    ASSERT_TRUE(image) << image.error().describe();
    VirtioBlk blk(std::move(*image), VirtioBlkOptions { .serial = "raw" });
    EXPECT_EQ(blk.config().capacity, 128u);

    GuestMemory memory = test::make_guest_memory();
    test::MockDriverQueue driver(memory, 16);
    VirtQueue queue(0, 256);
    driver.configure(queue);
    ASSERT_TRUE(queue.activate(memory, false, [] { }));
    test::FakeInterrupt interrupt;
    ASSERT_TRUE(blk.activate(VirtioActivation { memory, blk.device_features(), std::span(&queue, 1), interrupt }));

    auto wait_used = [&](uint16_t count) {
        for (int i = 0; i < 500 && driver.used_idx() < count; ++i) {
            pollfd pfd { blk.disk().completion_fd(), POLLIN, 0 };
            ::poll(&pfd, 1, 10);
            blk.process_completions();
        }
        return driver.used_idx() >= count;
    };

    RequestHeader out { k_t_out, 0, 3 };
    std::vector<uint8_t> payload(1024, 0xc3);
    GuestAddress out_header = driver.alloc_with(std::span(reinterpret_cast<const uint8_t*>(&out), sizeof(out)));
    GuestAddress out_data = driver.alloc_with(payload);
    GuestAddress out_status = driver.alloc(1);
    driver.add_chain({ { out_header, 16, false }, { out_data, 1024, false }, { out_status, 1, true } });
    blk.queue_notify(0);
    ASSERT_TRUE(wait_used(1));
    EXPECT_EQ(memory.read_obj<uint8_t>(out_status).value(), k_s_ok);

    RequestHeader in { k_t_in, 0, 2 };
    GuestAddress in_header = driver.alloc_with(std::span(reinterpret_cast<const uint8_t*>(&in), sizeof(in)));
    GuestAddress in_data = driver.alloc(2048);
    GuestAddress in_status = driver.alloc(1);
    memory.write_obj<uint8_t>(in_status, 0xff).value();
    driver.add_chain({ { in_header, 16, false }, { in_data, 2048, true }, { in_status, 1, true } });
    blk.queue_notify(0);
    ASSERT_TRUE(wait_used(2));
    EXPECT_EQ(memory.read_obj<uint8_t>(in_status).value(), k_s_ok);
    auto bytes = driver.read_bytes(in_data, 2048);
    EXPECT_EQ(bytes[0], 0);      // sector 2: untouched
    EXPECT_EQ(bytes[512], 0xc3); // sectors 3-4: written above
    EXPECT_EQ(bytes[1535], 0xc3);
    EXPECT_EQ(bytes[1536], 0);
    EXPECT_EQ(driver.used(1).length, 2049u);
}

} // namespace
} // namespace vireo
