// virtio-console: guest output reaches the back end, back-end input reaches the guest.
#include <gtest/gtest.h>

#include <functional>

#include "devices/virtio/console/virtio_console.h"
#include "virtio_test_support.h"

using namespace vireo;

namespace {

class FakeBackend final : public ConsoleBackend {
public:
    void write(std::span<const uint8_t> bytes) override
    {
        output.append(bytes.begin(), bytes.end());
        if (on_write)
            on_write();
    }
    std::string output;
    std::function<void()> on_write; // runs in the middle of the device's transmit run
};

struct ConsoleFixture : ::testing::Test {
    GuestMemory memory = test::make_guest_memory();
    test::MockDriverQueue rx { memory, 8, 0x1000 };
    test::MockDriverQueue tx { memory, 8, 0x8000 };
    test::DeviceHarness harness { memory, 2 };
    std::shared_ptr<FakeBackend> backend = std::make_shared<FakeBackend>();
    VirtioConsole console { backend };

    void activate()
    {
        rx.configure(harness.queues[0]);
        tx.configure(harness.queues[1]);
        ASSERT_TRUE(console.activate(harness.activation()));
    }
    static std::span<const uint8_t> bytes(const std::string& text)
    {
        return std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    }
};

} // namespace

TEST_F(ConsoleFixture, GuestOutputReachesTheBackend)
{
    activate();
    tx.add_chain({ { tx.alloc_with(std::string("hello ")), 6, false }, { tx.alloc_with(std::string("world")), 5, false } });
    console.queue_notify(VirtioConsole::k_transmit_queue);
    EXPECT_EQ(backend->output, "hello world");
    EXPECT_EQ(tx.used_idx(), 1);
    EXPECT_EQ(harness.interrupt.used[1], 1);
}

TEST_F(ConsoleFixture, InputWaitsForReceiveBuffers)
{
    activate();
    console.push_input(bytes("abcdef"));
    EXPECT_EQ(rx.used_idx(), 0);
    auto first = rx.alloc(4), second = rx.alloc(4);
    rx.add_chain({ { first, 4, true } });
    rx.add_chain({ { second, 4, true } });
    console.queue_notify(VirtioConsole::k_receive_queue);
    ASSERT_EQ(rx.used_idx(), 2);
    EXPECT_EQ(rx.used(0).length, 4u);
    EXPECT_EQ(rx.read_string(first, 4), "abcd");
    EXPECT_EQ(rx.used(1).length, 2u);
    EXPECT_EQ(rx.read_string(second, 2), "ef");
    EXPECT_GE(harness.interrupt.used[0], 1);
}

TEST_F(ConsoleFixture, EchoBothWays)
{
    activate();
    auto buffer = rx.alloc(16);
    rx.add_chain({ { buffer, 16, true } });
    console.queue_notify(VirtioConsole::k_receive_queue); // nothing pending yet
    EXPECT_EQ(rx.used_idx(), 0);
    console.push_input(bytes("ls\n"));
    ASSERT_EQ(rx.used_idx(), 1);
    std::string received = rx.read_string(buffer, rx.used(0).length);
    EXPECT_EQ(received, "ls\n");
    // The guest echoes it back.
    tx.add_chain({ { tx.alloc_with(received), static_cast<uint32_t>(received.size()), false } });
    console.queue_notify(VirtioConsole::k_transmit_queue);
    EXPECT_EQ(backend->output, "ls\n");
}

TEST_F(ConsoleFixture, ConfigHasSizeAndOnePort)
{
    std::array<uint8_t, 12> config {};
    console.read_config(0, config);
    EXPECT_EQ(config[0], 80);
    EXPECT_EQ(config[2], 25);
    EXPECT_EQ(config[4], 1);
    EXPECT_FALSE(console.device_features() & (1ULL << 1)); // no MULTIPORT
}

TEST_F(ConsoleFixture, InputBeyondTheLimitIsDropped)
{
    activate();
    std::string big(VirtioConsole::k_max_pending_input + 100, 'x');
    console.push_input(bytes(big));
    auto buffer = rx.alloc(16);
    rx.add_chain({ { buffer, 16, true } });
    console.queue_notify(VirtioConsole::k_receive_queue);
    EXPECT_EQ(rx.used(0).length, 16u);
}

// Regression: every readable byte of a chain went to the back end synchronously on the event
// loop, however large. At most 64 KiB per chain; the rest is dropped.
TEST_F(ConsoleFixture, OutputBeyondTheCapPerChainIsDropped)
{
    activate();
    constexpr uint32_t k_half = 50 * 1024;
    std::string text(2 * k_half, 'y');
    GuestAddress first = tx.alloc_with(text.substr(0, k_half)), second = tx.alloc_with(text.substr(k_half));
    tx.add_chain({ { first, k_half, false }, { second, k_half, false } });
    console.queue_notify(VirtioConsole::k_transmit_queue);
    EXPECT_EQ(backend->output.size(), VirtioConsole::k_max_output_per_chain);
    EXPECT_EQ(tx.used_idx(), 1);
}

// Regression: the transmit loop ran until the ring was empty, so a second vCPU making chains
// available as the device used them kept the event loop in one run for ever. A run takes at
// most a queue size of chains and asks for another run.
TEST_F(ConsoleFixture, RingKeptFullDoesNotKeepOneTransmitRunGoing)
{
    activate();
    GuestAddress text = tx.alloc_with(std::string("z"));
    for (int i = 0; i < 8; ++i)
        tx.add_chain({ { text, 1, false } });
    test::RingRefiller vcpu(tx);
    backend->on_write = [&] { vcpu.refill(); }; // the other vCPU, between two chains

    console.queue_notify(VirtioConsole::k_transmit_queue);
    EXPECT_EQ(backend->output.size(), 8u); // without the budget: 20008
    EXPECT_EQ(harness.interrupt.renotified[1], 1);

    console.queue_notify(VirtioConsole::k_transmit_queue); // the loop's next turn
    EXPECT_EQ(backend->output.size(), 16u);
    EXPECT_EQ(harness.interrupt.renotified[1], 2);
    EXPECT_FALSE(harness.interrupt.needs_reset);
}
