// virtio-rng fills the guest's writable buffers.
#include <gtest/gtest.h>

#include "devices/virtio/rng/virtio_rng.h"
#include "virtio_test_support.h"

using namespace vireo;

TEST(VirtioRng, FillsWritableBuffers)
{
    auto memory = test::make_guest_memory();
    test::MockDriverQueue driver(memory, 8);
    test::DeviceHarness harness(memory, 1);
    driver.configure(harness.queues[0]);
    VirtioRng rng;
    ASSERT_TRUE(rng.activate(harness.activation()));

    auto first = driver.alloc(64), second = driver.alloc(64);
    uint16_t head = driver.add_chain({ { first, 64, true }, { second, 32, true } });
    rng.queue_notify(0);

    ASSERT_EQ(driver.used_idx(), 1);
    EXPECT_EQ(driver.used(0).id, head);
    EXPECT_EQ(driver.used(0).length, 96u);
    auto bytes = driver.read_bytes(first, 64);
    EXPECT_NE(std::count(bytes.begin(), bytes.end(), 0), 64); // 2^-512 chance of a false failure
    EXPECT_EQ(driver.read_bytes(second + 32, 32), std::vector<uint8_t>(32, 0)); // beyond the buffer: untouched
    EXPECT_EQ(harness.interrupt.used[0], 1);
}

TEST(VirtioRng, ReadableOnlyChainGetsZeroLength)
{
    auto memory = test::make_guest_memory();
    test::MockDriverQueue driver(memory, 8);
    test::DeviceHarness harness(memory, 1);
    driver.configure(harness.queues[0]);
    VirtioRng rng;
    ASSERT_TRUE(rng.activate(harness.activation()));
    driver.add_chain({ { driver.alloc(8), 8, false } });
    rng.queue_notify(0);
    ASSERT_EQ(driver.used_idx(), 1);
    EXPECT_EQ(driver.used(0).length, 0u);
}

TEST(VirtioRng, NotifyAfterResetIsIgnored)
{
    auto memory = test::make_guest_memory();
    test::MockDriverQueue driver(memory, 8);
    test::DeviceHarness harness(memory, 1);
    driver.configure(harness.queues[0]);
    VirtioRng rng;
    ASSERT_TRUE(rng.activate(harness.activation()));
    rng.reset();
    driver.add_chain({ { driver.alloc(8), 8, true } });
    rng.queue_notify(0);
    EXPECT_EQ(driver.used_idx(), 0);
}
