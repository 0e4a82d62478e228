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

// Regression: the whole writable part of a chain was filled on the event loop; a guest could
// post a buffer as large as its RAM. At most 64 KiB per request (virtio 1.2 §5.4.6.2).
TEST(VirtioRng, HugeBufferGetsAtMostTheCap)
{
    auto memory = test::make_guest_memory(4 << 20);
    test::MockDriverQueue driver(memory, 8);
    test::DeviceHarness harness(memory, 1);
    driver.configure(harness.queues[0]);
    VirtioRng rng;
    ASSERT_TRUE(rng.activate(harness.activation()));
    constexpr uint32_t k_mib = 1 << 20;
    GuestAddress buffer = driver.alloc(k_mib);
    driver.add_chain({ { buffer, k_mib / 2, true }, { buffer + k_mib / 2, k_mib / 2, true } });

    rng.queue_notify(0);

    ASSERT_EQ(driver.used_idx(), 1);
    EXPECT_EQ(driver.used(0).length, VirtioRng::k_max_bytes_per_chain);
    auto tail = driver.read_bytes(buffer + VirtioRng::k_max_bytes_per_chain, k_mib - VirtioRng::k_max_bytes_per_chain);
    EXPECT_EQ(std::count(tail.begin(), tail.end(), 0), static_cast<std::ptrdiff_t>(tail.size())); // left alone
    auto head = driver.read_bytes(buffer + VirtioRng::k_max_bytes_per_chain - 64, 64);
    EXPECT_NE(std::count(head.begin(), head.end(), 0), 64); // the cap's last bytes were filled
}

// Regression: the request loop ran until the ring was empty, so a second vCPU making chains
// available as fast as the device used them kept the event loop in one run for ever. A run
// takes at most a queue size of chains, then asks for another run (the transport re-signals
// the queue's notify eventfd).
TEST(VirtioRng, RingKeptFullDoesNotKeepOneRunGoing)
{
    auto memory = test::make_guest_memory(2 << 20);
    test::MockDriverQueue driver(memory, 256);
    test::DeviceHarness harness(memory, 1);
    driver.configure(harness.queues[0]);
    VirtioRng rng;
    ASSERT_TRUE(rng.activate(harness.activation()));
    GuestAddress buffer = driver.alloc(VirtioRng::k_max_bytes_per_chain); // shared by every chain
    for (int i = 0; i < 256; ++i)
        driver.add_chain({ { buffer, static_cast<uint32_t>(VirtioRng::k_max_bytes_per_chain), true } });
    test::RingRefiller vcpu(driver);
    vcpu.start();

    rng.queue_notify(0);
    uint16_t first_run = driver.used_idx();
    rng.queue_notify(0); // what the loop does for the re-signalled eventfd
    uint16_t second_run = static_cast<uint16_t>(driver.used_idx() - first_run);
    vcpu.stop();

    EXPECT_EQ(first_run, 256); // without the budget: until the refiller gives up (20000)
    EXPECT_LE(second_run, 256);
    EXPECT_GE(harness.interrupt.renotified[0], 1);
    EXPECT_FALSE(harness.interrupt.needs_reset);
}

// The fuzz target gives the device fixed bytes instead of getrandom's, so that an input does the
// same at every run (a campaign's "crash" on virtio_rng was an input whose second run differed).
TEST(VirtioRng, FillsFromTheSourceItWasGiven)
{
    auto memory = test::make_guest_memory();
    test::MockDriverQueue driver(memory, 8);
    test::DeviceHarness harness(memory, 1);
    driver.configure(harness.queues[0]);
    size_t asked = 0;
    VirtioRng rng([&](std::span<uint8_t> out) {
        std::ranges::fill(out, 0x5a);
        asked += out.size();
        return out.size() / 2; // a source may fill less than asked: the used length says so
    });
    ASSERT_TRUE(rng.activate(harness.activation()));

    auto buffer = driver.alloc(64);
    driver.add_chain({ { buffer, 64, true } });
    rng.queue_notify(0);

    ASSERT_EQ(driver.used_idx(), 1);
    EXPECT_EQ(asked, 64u);
    EXPECT_EQ(driver.used(0).length, 32u);
    EXPECT_EQ(driver.read_bytes(buffer, 32), std::vector<uint8_t>(32, 0x5a));
}
