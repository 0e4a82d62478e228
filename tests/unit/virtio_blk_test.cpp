// virtio-blk against a fake disk and the driver-side mock queue (virtio 1.2 §5.2).
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "config/vm_config.h"
#include "devices/virtio/blk/virtio_blk.h"
#include "virtio_blk_fakes.h"
#include "virtio_test_support.h"

namespace vireo {
namespace {

using namespace virtio_blk;
using test::FakeDisk;
using test::FakeInterrupt;
using test::MockDriverQueue;

constexpr uint64_t k_disk_size = 64 * 1024; // 128 sectors

class VirtioBlkTest : public ::testing::Test {
protected:
    void start(bool read_only = false, uint64_t features = k_f_flush | k_f_discard | k_f_write_zeroes, VirtioBlkOptions options = {})
    {
        auto disk = std::make_unique<FakeDisk>(k_disk_size, read_only);
        m_disk = disk.get();
        for (size_t i = 0; i < m_disk->data().size(); ++i)
            m_disk->data()[i] = static_cast<uint8_t>(i / 512 + 1);
        options.discard = true;
        if (options.serial.empty())
            options.serial = "vireo-disk-0";
        m_blk = std::make_unique<VirtioBlk>(std::move(disk), options);
        m_driver.configure(m_queue);
        ASSERT_TRUE(m_queue.activate(m_memory, false, [this] { ++m_interrupt.needs_reset; }));
        ASSERT_TRUE(m_blk->activate(VirtioActivation { m_memory, features & m_blk->device_features(), std::span(&m_queue, 1), m_interrupt }));
    }

    GuestAddress header(uint32_t type, uint64_t sector)
    {
        RequestHeader h { type, 0, sector };
        return m_driver.alloc_with(std::span(reinterpret_cast<const uint8_t*>(&h), sizeof(h)));
    }

    // Submits the chain, runs the device and the disk, returns the status byte.
    uint8_t run(std::initializer_list<MockDriverQueue::Buffer> buffers, GuestAddress status)
    {
        m_driver.add_chain(buffers);
        m_blk->queue_notify(0);
        m_blk->process_completions();
        return m_memory.read_obj<uint8_t>(status).value();
    }

    GuestMemory m_memory = test::make_guest_memory();
    MockDriverQueue m_driver { m_memory, 16 };
    VirtQueue m_queue { 0, 256 };
    FakeInterrupt m_interrupt;
    FakeDisk* m_disk = nullptr;
    std::unique_ptr<VirtioBlk> m_blk;
};

TEST_F(VirtioBlkTest, ConfigReportsCapacityAndLimits)
{
    start();
    std::array<uint8_t, 8> capacity {};
    m_blk->read_config(0, capacity);
    uint64_t sectors = 0;
    std::memcpy(&sectors, capacity.data(), 8);
    EXPECT_EQ(sectors, k_disk_size / 512);
    EXPECT_EQ(m_blk->config().seg_max, 254u);
    EXPECT_EQ(m_blk->config().blk_size, 512u);
    EXPECT_EQ(m_blk->device_type(), virtio::DeviceType::Block);
    EXPECT_TRUE(m_blk->device_features() & k_f_flush);
    EXPECT_FALSE(m_blk->device_features() & k_f_ro);
    EXPECT_FALSE(m_blk->device_features() & k_f_mq);
}

TEST_F(VirtioBlkTest, ReadFillsBuffersAndReportsLength)
{
    start();
    GuestAddress data = m_driver.alloc(1024);
    GuestAddress status = m_driver.alloc(1);
    m_memory.write_obj<uint8_t>(status, 0xff).value();
    uint8_t result = run({ { header(k_t_in, 2), 16, false }, { data, 512, true }, { data + 512, 512, true }, { status, 1, true } }, status);
    EXPECT_EQ(result, k_s_ok);
    auto bytes = m_driver.read_bytes(data, 1024);
    EXPECT_EQ(bytes[0], 3);   // sector 2
    EXPECT_EQ(bytes[600], 4); // sector 3
    EXPECT_EQ(m_driver.used_idx(), 1);
    EXPECT_EQ(m_driver.used(0).length, 1025u);
    EXPECT_EQ(m_interrupt.used.size(), 1u);
    EXPECT_EQ(m_blk->in_flight(), 0u);
}

TEST_F(VirtioBlkTest, WriteReachesDisk)
{
    start();
    std::vector<uint8_t> payload(512, 0xab);
    GuestAddress data = m_driver.alloc_with(payload);
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_out, 5), 16, false }, { data, 512, false }, { status, 1, true } }, status), k_s_ok);
    EXPECT_EQ(m_disk->data()[5 * 512], 0xab);
    EXPECT_EQ(m_disk->data()[6 * 512 - 1], 0xab);
    EXPECT_EQ(m_disk->data()[6 * 512], 7);
    EXPECT_EQ(m_driver.used(0).length, 1u);
}

TEST_F(VirtioBlkTest, HeaderAndDataInOneDescriptor)
{
    start();
    RequestHeader h { k_t_out, 0, 1 };
    std::vector<uint8_t> bytes(16 + 512, 0x5a);
    std::memcpy(bytes.data(), &h, sizeof(h));
    GuestAddress request = m_driver.alloc_with(bytes);
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { request, 16 + 512, false }, { status, 1, true } }, status), k_s_ok);
    EXPECT_EQ(m_disk->data()[512], 0x5a);
}

TEST_F(VirtioBlkTest, FlushReachesDisk)
{
    start();
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_flush, 0), 16, false }, { status, 1, true } }, status), k_s_ok);
    EXPECT_EQ(m_disk->flushes, 1);
}

TEST_F(VirtioBlkTest, GetIdReturnsSerial)
{
    start();
    GuestAddress id = m_driver.alloc(20);
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_get_id, 0), 16, false }, { id, 20, true }, { status, 1, true } }, status), k_s_ok);
    EXPECT_EQ(m_driver.read_string(id, 12), "vireo-disk-0");
    EXPECT_EQ(m_driver.read_bytes(id + 12, 1)[0], 0);
    EXPECT_EQ(m_driver.used(0).length, 21u);
    EXPECT_TRUE(m_disk->submitted.empty());
}

TEST_F(VirtioBlkTest, DiscardAndWriteZeroesSegments)
{
    start();
    std::array<DiscardSegment, 2> segments { DiscardSegment { 4, 2, 0 }, DiscardSegment { 10, 1, 0 } };
    GuestAddress list = m_driver.alloc_with(std::span(reinterpret_cast<const uint8_t*>(segments.data()), sizeof(segments)));
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_discard, 0), 16, false }, { list, 32, false }, { status, 1, true } }, status), k_s_ok);
    ASSERT_EQ(m_disk->submitted.size(), 2u);
    EXPECT_EQ(m_disk->submitted[0].op, DiskOp::Discard);
    EXPECT_EQ(m_disk->submitted[0].offset, 4u * 512);
    EXPECT_EQ(m_disk->submitted[0].length, 2u * 512);
    EXPECT_EQ(m_disk->data()[4 * 512], 0);
    EXPECT_EQ(m_disk->data()[10 * 512], 0);
    EXPECT_EQ(m_disk->data()[11 * 512], 12);

    DiscardSegment zero { 20, 1, k_write_zeroes_flag_unmap };
    GuestAddress one = m_driver.alloc_with(std::span(reinterpret_cast<const uint8_t*>(&zero), sizeof(zero)));
    GuestAddress status2 = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_write_zeroes, 0), 16, false }, { one, 16, false }, { status2, 1, true } }, status2), k_s_ok);
    EXPECT_EQ(m_disk->submitted.back().op, DiskOp::WriteZeroes);
    EXPECT_TRUE(m_disk->submitted.back().may_unmap);
}

TEST_F(VirtioBlkTest, DiscardWithFlagsOrOutOfRangeFails)
{
    start();
    DiscardSegment flagged { 0, 1, 1 };
    GuestAddress list = m_driver.alloc_with(std::span(reinterpret_cast<const uint8_t*>(&flagged), sizeof(flagged)));
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_discard, 0), 16, false }, { list, 16, false }, { status, 1, true } }, status), k_s_unsupp);

    DiscardSegment far { 127, 2, 0 };
    GuestAddress list2 = m_driver.alloc_with(std::span(reinterpret_cast<const uint8_t*>(&far), sizeof(far)));
    GuestAddress status2 = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_discard, 0), 16, false }, { list2, 16, false }, { status2, 1, true } }, status2), k_s_ioerr);

    GuestAddress status3 = m_driver.alloc(1); // a segment list that is not a multiple of 16
    EXPECT_EQ(run({ { header(k_t_discard, 0), 16, false }, { list2, 10, false }, { status3, 1, true } }, status3), k_s_unsupp);
    EXPECT_TRUE(m_disk->submitted.empty());
}

TEST_F(VirtioBlkTest, DiscardNotNegotiatedIsUnsupported)
{
    start(false, k_f_flush);
    DiscardSegment segment { 0, 1, 0 };
    GuestAddress list = m_driver.alloc_with(std::span(reinterpret_cast<const uint8_t*>(&segment), sizeof(segment)));
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_discard, 0), 16, false }, { list, 16, false }, { status, 1, true } }, status), k_s_unsupp);
}

TEST_F(VirtioBlkTest, OutOfRangeSectorIsIoError)
{
    start();
    GuestAddress data = m_driver.alloc(1024);
    GuestAddress status = m_driver.alloc(1);
    // Sector 127 is the last one: two sectors from there run past the end.
    EXPECT_EQ(run({ { header(k_t_in, 127), 16, false }, { data, 1024, true }, { status, 1, true } }, status), k_s_ioerr);
    GuestAddress status2 = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_in, UINT64_MAX), 16, false }, { data, 512, true }, { status2, 1, true } }, status2), k_s_ioerr);
    GuestAddress status3 = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_out, 1ULL << 55), 16, false }, { data, 512, false }, { status3, 1, true } }, status3), k_s_ioerr);
    EXPECT_TRUE(m_disk->submitted.empty());
    EXPECT_EQ(m_driver.used_idx(), 3);
}

TEST_F(VirtioBlkTest, PartialSectorIsIoError)
{
    start();
    GuestAddress data = m_driver.alloc(512);
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_in, 0), 16, false }, { data, 100, true }, { status, 1, true } }, status), k_s_ioerr);
}

TEST_F(VirtioBlkTest, ReadOnlyWriteIsIoError)
{
    start(true);
    EXPECT_TRUE(m_blk->device_features() & k_f_ro);
    GuestAddress data = m_driver.alloc(512);
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_out, 0), 16, false }, { data, 512, false }, { status, 1, true } }, status), k_s_ioerr);
    EXPECT_TRUE(m_disk->submitted.empty());
    EXPECT_EQ(m_disk->data()[0], 1);
    // Reads still work.
    GuestAddress status2 = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_in, 0), 16, false }, { data, 512, true }, { status2, 1, true } }, status2), k_s_ok);
}

TEST_F(VirtioBlkTest, UnknownTypeIsUnsupported)
{
    start();
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(2, 0), 16, false }, { status, 1, true } }, status), k_s_unsupp);
    GuestAddress status2 = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(0x80000000, 0), 16, false }, { status2, 1, true } }, status2), k_s_unsupp);
}

TEST_F(VirtioBlkTest, ShortHeaderIsIoError)
{
    start();
    GuestAddress bytes = m_driver.alloc(16);
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { bytes, 8, false }, { status, 1, true } }, status), k_s_ioerr);
    EXPECT_EQ(m_interrupt.needs_reset, 0);
}

TEST_F(VirtioBlkTest, NoStatusByteNeedsReset)
{
    start();
    GuestAddress data = m_driver.alloc(512);
    m_driver.add_chain({ { header(k_t_out, 0), 16, false }, { data, 512, false } });
    m_blk->queue_notify(0);
    EXPECT_EQ(m_interrupt.needs_reset, 1);
    EXPECT_EQ(m_driver.used_idx(), 1);
    EXPECT_EQ(m_driver.used(0).length, 0u);
    EXPECT_TRUE(m_disk->submitted.empty());
}

TEST_F(VirtioBlkTest, StatusNotWritableNeedsReset)
{
    start();
    GuestAddress status = m_driver.alloc(1);
    m_driver.add_chain({ { header(k_t_flush, 0), 16, false }, { status, 1, false } });
    m_blk->queue_notify(0);
    EXPECT_EQ(m_interrupt.needs_reset, 1);
    EXPECT_TRUE(m_disk->submitted.empty());
}

TEST_F(VirtioBlkTest, DiskErrorIsIoError)
{
    start();
    m_disk->fail_with = -EIO;
    GuestAddress data = m_driver.alloc(512);
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_in, 0), 16, false }, { data, 512, true }, { status, 1, true } }, status), k_s_ioerr);
    EXPECT_EQ(m_driver.used(0).length, 1u);
}

TEST_F(VirtioBlkTest, CompletionAfterResetIsDropped)
{
    start();
    GuestAddress data = m_driver.alloc(512);
    GuestAddress status = m_driver.alloc(1);
    m_driver.add_chain({ { header(k_t_in, 0), 16, false }, { data, 512, true }, { status, 1, true } });
    m_blk->queue_notify(0);
    EXPECT_EQ(m_disk->pending(), 1u);
    m_blk->reset();
    m_blk->process_completions();
    EXPECT_EQ(m_driver.used_idx(), 0);
    EXPECT_TRUE(m_interrupt.used.empty());
}

TEST_F(VirtioBlkTest, NotifySuppressedWhenDriverAsks)
{
    start();
    m_driver.set_avail_flags(k_virtq_avail_f_no_interrupt);
    GuestAddress status = m_driver.alloc(1);
    EXPECT_EQ(run({ { header(k_t_flush, 0), 16, false }, { status, 1, true } }, status), k_s_ok);
    EXPECT_TRUE(m_interrupt.used.empty());
}

TEST_F(VirtioBlkTest, OneKickIsOneSubmissionBatch)
{
    start();
    GuestAddress data = m_driver.alloc(3 * 512);
    GuestAddress status = m_driver.alloc(3);
    for (uint32_t i = 0; i < 3; ++i)
        m_driver.add_chain({ { header(k_t_in, i), 16, false }, { data + 512 * i, 512, true }, { status + i, 1, true } });

    m_blk->queue_notify(0);

    // All three requests went to the disk inside one batch, closed before the kick returned.
    ASSERT_EQ(m_disk->submitted.size(), 3u);
    EXPECT_EQ(m_disk->submitted_in_batch, std::vector<bool>({ true, true, true }));
    EXPECT_EQ(m_disk->batches, 1);
    EXPECT_EQ(m_disk->batch_depth, 0);
    m_blk->process_completions();
    EXPECT_EQ(m_driver.used_idx(), 3);
    EXPECT_EQ(m_interrupt.used.size(), 1u); // one interrupt for the three completions
}

TEST_F(VirtioBlkTest, NotificationsStayOffWhileRequestsAreInFlight)
{
    start();
    GuestAddress data = m_driver.alloc(8 * 512);
    GuestAddress status = m_driver.alloc(8);
    auto add_read = [&](uint32_t i) {
        m_driver.add_chain({ { header(k_t_in, i), 16, false }, { data + 512 * i, 512, true }, { status + i, 1, true } });
    };
    for (uint32_t i = 0; i < 4; ++i)
        add_read(i);

    m_blk->queue_notify(0);
    // Four in flight: the driver is told not to notify (no EVENT_IDX here: VIRTQ_USED_F_NO_NOTIFY).
    EXPECT_EQ(m_disk->pending(), 4u);
    EXPECT_EQ(m_driver.used_flags(), k_virtq_used_f_no_notify);

    // A chain made available without a notification is found by the next completions.
    add_read(4);
    m_blk->process_completions();
    EXPECT_EQ(m_driver.used_idx(), 4);
    ASSERT_EQ(m_disk->submitted.size(), 5u);
    EXPECT_EQ(m_disk->submitted[4].offset, 4u * 512);
    EXPECT_EQ(m_driver.used_flags(), k_virtq_used_f_no_notify); // still one in flight

    m_blk->process_completions();
    EXPECT_EQ(m_driver.used_idx(), 5);
    EXPECT_EQ(m_memory.read_obj<uint8_t>(status + 4).value(), k_s_ok);
    EXPECT_EQ(m_blk->in_flight(), 0u);
    // Nothing in flight: notifications are back on.
    EXPECT_EQ(m_driver.used_flags(), 0);
}

TEST_F(VirtioBlkTest, IdleQueueKeepsNotificationsOn)
{
    start();
    GuestAddress id = m_driver.alloc(k_id_bytes);
    GuestAddress status = m_driver.alloc(1);
    // GET_ID completes at once: nothing stays in flight, so the driver must notify again.
    EXPECT_EQ(run({ { header(k_t_get_id, 0), 16, false }, { id, k_id_bytes, true }, { status, 1, true } }, status), k_s_ok);
    EXPECT_EQ(m_driver.used_flags(), 0);
}

TEST_F(VirtioBlkTest, EventIdxAvailEventCatchesUpWhenPollingStops)
{
    // With EVENT_IDX the device suppresses notifications by leaving avail_event behind.
    m_driver.configure(m_queue);
    auto disk = std::make_unique<FakeDisk>(k_disk_size);
    m_disk = disk.get();
    m_blk = std::make_unique<VirtioBlk>(std::move(disk), VirtioBlkOptions {});
    ASSERT_TRUE(m_queue.activate(m_memory, true, [this] { ++m_interrupt.needs_reset; }));
    ASSERT_TRUE(m_blk->activate(VirtioActivation { m_memory, k_f_flush, std::span(&m_queue, 1), m_interrupt }));
    GuestAddress data = m_driver.alloc(512);
    GuestAddress status = m_driver.alloc(5);
    for (uint32_t i = 0; i < 5; ++i) // 3 descriptors each: 15 of the ring's 16
        m_driver.add_chain({ { header(k_t_in, i), 16, false }, { data, 512, true }, { status + i, 1, true } });

    m_blk->queue_notify(0);
    EXPECT_EQ(m_disk->pending(), 5u);
    EXPECT_EQ(m_driver.avail_event(), 0); // behind: the driver does not notify for chains 5, 6, ...

    m_blk->process_completions();
    EXPECT_EQ(m_driver.used_idx(), 5);
    EXPECT_EQ(m_driver.avail_event(), 5); // nothing in flight: notify on the next chain
    EXPECT_EQ(m_interrupt.used.size(), 1u);
}

TEST_F(VirtioBlkTest, FlushInFlightKeepsNotificationsOn)
{
    start();
    GuestAddress status = m_driver.alloc(1);
    m_driver.add_chain({ { header(k_t_flush, 0), 16, false }, { status, 1, true } });
    m_blk->queue_notify(0);
    // A flush may take long: a read the driver queues behind it must not wait for it.
    EXPECT_EQ(m_disk->pending(), 1u);
    EXPECT_EQ(m_driver.used_flags(), 0);
}

TEST_F(VirtioBlkTest, BackstopTimerLooksAtARingWhoseNotificationsAreOff)
{
    start();
    auto loop = EventLoop::create().value();
    ASSERT_TRUE(m_blk->attach(*loop)); // the backstop timer comes with the event loop
    GuestAddress data = m_driver.alloc(2 * 512);
    GuestAddress status = m_driver.alloc(2);
    m_driver.add_chain({ { header(k_t_in, 0), 16, false }, { data, 512, true }, { status, 1, true } });
    m_blk->queue_notify(0);
    EXPECT_EQ(m_driver.used_flags(), k_virtq_used_f_no_notify);

    // A slow disk: no completion comes, but the backstop finds the new chain.
    m_driver.add_chain({ { header(k_t_in, 1), 16, false }, { data + 512, 512, true }, { status + 1, 1, true } });
    m_blk->poll_timeout();
    EXPECT_EQ(m_disk->submitted.size(), 2u);
    EXPECT_EQ(m_disk->pending(), 2u);

    m_blk->process_completions();
    EXPECT_EQ(m_driver.used_idx(), 2);
    EXPECT_EQ(m_driver.used_flags(), 0);
    m_blk.reset(); // before the loop it is attached to
}

TEST(VirtioBlkOptions, FromDriveAndDevice)
{
    DriveConfig drive;
    drive.id = "disk0";
    drive.read_only = true;
    DeviceConfig device;
    device.driver = "virtio-blk-pci";
    device.properties = { { "num-queues", "2" }, { "serial", "ABCDEFGHIJKLMNOPQRSTUVWXYZ" }, { "drive", "disk0" } };
    auto options = virtio_blk_options(drive, &device, 8);
    ASSERT_TRUE(options) << options.error().describe();
    EXPECT_EQ(options->num_queues, 2);
    EXPECT_EQ(options->serial, "ABCDEFGHIJKLMNOPQRST");
    EXPECT_TRUE(options->read_only);
    auto defaults = virtio_blk_options(drive, nullptr, 8);
    EXPECT_EQ(defaults->num_queues, 4);
    EXPECT_EQ(defaults->serial, "disk0");
    device.properties = { { "num-queues", "0" } };
    EXPECT_FALSE(virtio_blk_options(drive, &device, 1));
}

TEST(VirtioBlkOptions, MultiQueueConfig)
{
    auto disk = std::make_unique<FakeDisk>(k_disk_size);
    VirtioBlk blk(std::move(disk), VirtioBlkOptions { .num_queues = 3 });
    EXPECT_TRUE(blk.device_features() & k_f_mq);
    EXPECT_EQ(blk.num_queues(), 3);
    EXPECT_EQ(blk.config().num_queues, 3);
}

// Regression: the queue never counted chains in flight, so a driver could offer the heads of
// requests still in the image again and again, and in-flight requests grew without bound. One
// chain more than the queue size breaks the queue (DEVICE_NEEDS_RESET); the VMM carries on.
TEST_F(VirtioBlkTest, InFlightHeadsOfferedAgainBreakTheQueue)
{
    start();
    GuestAddress data = m_driver.alloc(512);
    GuestAddress status = m_driver.alloc(16);
    for (uint32_t i = 0; i < 16; ++i) // one descriptor each: the whole ring
        m_driver.add_indirect_chain({ { header(k_t_in, 0), 16, false }, { data, 512, true }, { status + i, 1, true } });
    m_blk->queue_notify(0);
    EXPECT_EQ(m_blk->in_flight(), 16u);
    EXPECT_EQ(m_interrupt.needs_reset, 0);

    m_driver.publish(0); // head 0 again, its read still in the image
    m_blk->queue_notify(0);
    EXPECT_EQ(m_disk->submitted.size(), 16u);
    EXPECT_EQ(m_interrupt.needs_reset, 1);
    EXPECT_TRUE(m_queue.broken());

    m_blk->process_completions();
    EXPECT_EQ(m_blk->in_flight(), 0u);
}

// Regression: reset() set the in-flight count to 0 while the old requests still ran in the
// image, so reset + activate + submit in a loop piled up requests without bound. They stay
// counted until they complete, and no request is popped beyond queues x queue size.
TEST_F(VirtioBlkTest, StaleRequestsOfBeforeAResetCountAgainstTheCap)
{
    start(false, k_f_flush, VirtioBlkOptions { .queue_size = 4 });
    EXPECT_EQ(m_blk->max_in_flight(), 4u);
    GuestAddress data = m_driver.alloc(512);
    GuestAddress status = m_driver.alloc(8);
    auto add_reads = [&](MockDriverQueue& driver, uint32_t count) {
        for (uint32_t i = 0; i < count; ++i)
            driver.add_indirect_chain({ { header(k_t_in, 0), 16, false }, { data, 512, true }, { status + i, 1, true } });
    };
    add_reads(m_driver, 6);
    m_blk->queue_notify(0);
    EXPECT_EQ(m_disk->pending(), 4u); // the cap, before any reset

    // The driver resets the device and starts again on fresh rings.
    m_blk->reset();
    m_queue.reset();
    EXPECT_EQ(m_blk->stale_in_flight(), 4u);
    MockDriverQueue again(m_memory, 16, 0x8000);
    again.configure(m_queue);
    ASSERT_TRUE(m_queue.activate(m_memory, false, [this] { ++m_interrupt.needs_reset; }));
    ASSERT_TRUE(m_blk->activate(VirtioActivation { m_memory, k_f_flush, std::span(&m_queue, 1), m_interrupt }));
    add_reads(again, 2);
    m_blk->queue_notify(0);
    EXPECT_EQ(m_disk->submitted.size(), 4u); // the stale requests fill the image
    EXPECT_EQ(again.used_flags(), k_virtq_used_f_no_notify); // completions look at the ring

    m_blk->process_completions(); // the stale ones finish: room for the new ones
    EXPECT_EQ(m_blk->stale_in_flight(), 0u);
    EXPECT_EQ(m_disk->submitted.size(), 6u);
    EXPECT_EQ(again.used_idx(), 0);
    m_blk->process_completions();
    EXPECT_EQ(again.used_idx(), 2);
    EXPECT_EQ(m_blk->in_flight(), 0u);
}

// Regression: drain_queue() popped until the ring was empty, so a second vCPU making chains
// available as the device used them (here an image that completes inside submit()) kept the
// event loop in one run for ever. A run takes at most a queue size of chains, then asks for
// another run.
TEST_F(VirtioBlkTest, RingKeptFullDoesNotKeepOneDrainGoing)
{
    start();
    GuestAddress status = m_driver.alloc(1);
    for (int i = 0; i < 16; ++i)
        m_driver.add_indirect_chain({ { header(k_t_flush, 0), 16, false }, { status, 1, true } });
    test::RingRefiller vcpu(m_driver);
    m_disk->on_submit = [&] {
        m_disk->process_completions(); // the request completes at once and is used
        vcpu.refill();                 // the other vCPU offers it again
    };

    m_blk->queue_notify(0);
    EXPECT_EQ(m_disk->submitted.size(), 16u); // without the budget: 20016
    EXPECT_EQ(m_interrupt.renotified, std::vector<uint16_t>({ 0 }));
    m_blk->queue_notify(0); // the loop's next turn
    EXPECT_EQ(m_disk->submitted.size(), 32u);
    EXPECT_EQ(m_interrupt.needs_reset, 0);
}

} // namespace
} // namespace vireo
