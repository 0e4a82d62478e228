// virtio-net against a fake back end and the driver-side mock queue (virtio 1.2 §5.1).
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <functional>

#include "config/vm_config.h"
#include "devices/virtio/net/virtio_net.h"
#include "virtio_blk_fakes.h"
#include "virtio_test_support.h"

namespace vireo {
namespace {

using namespace virtio_net;
using test::FakeInterrupt;
using test::MockDriverQueue;

class FakeNetBackend final : public NetBackend {
public:
    explicit FakeNetBackend(bool vnet)
        : m_vnet(vnet)
    {
    }
    [[nodiscard]] bool has_vnet_header() const override { return m_vnet; }
    [[nodiscard]] Result<void> set_offloads(const NetOffloads& o) override
    {
        offloads = o;
        return {};
    }
    [[nodiscard]] Result<void> send(std::span<const iovec> iov) override
    {
        std::vector<uint8_t> frame;
        for (const auto& v : iov)
            frame.insert(frame.end(), static_cast<uint8_t*>(v.iov_base), static_cast<uint8_t*>(v.iov_base) + v.iov_len);
        sent.push_back(std::move(frame));
        if (on_send)
            on_send();
        return {};
    }
    [[nodiscard]] Result<size_t> receive_into(std::span<const iovec> iov) override
    {
        ++receive_calls;
        largest_iov = std::max(largest_iov, iov.size());
        if (on_receive)
            on_receive();
        if (incoming.empty())
            return size_t { 0 };
        auto frame = std::move(incoming.front());
        incoming.pop_front();
        return copy_frame_to_iovecs(frame, iov);
    }
    void set_receive_handler(std::function<void()> h) override { handler = std::move(h); }
    void set_receive_enabled(bool enabled) override { receiving = enabled; }

    // The test plays the event loop: frames arrive, the handler runs if receiving.
    void arrive(std::vector<uint8_t> frame)
    {
        incoming.push_back(std::move(frame));
        if (receiving && handler)
            handler();
    }

    bool m_vnet;
    NetOffloads offloads;
    std::vector<std::vector<uint8_t>> sent;
    std::deque<std::vector<uint8_t>> incoming;
    std::function<void()> handler;
    bool receiving = false;
    int receive_calls = 0;
    size_t largest_iov = 0; // more than 1: a frame was offered the guest's buffers directly
    std::function<void()> on_send, on_receive; // run in the middle of the device's run
};

std::vector<uint8_t> pattern(size_t length, uint8_t seed)
{
    std::vector<uint8_t> bytes(length);
    for (size_t i = 0; i < length; ++i)
        bytes[i] = static_cast<uint8_t>(seed + i * 7);
    return bytes;
}

class VirtioNetTest : public ::testing::Test {
protected:
    void start(bool vnet, uint64_t features, size_t pairs = 1, uint16_t ring_size = 8)
    {
        std::vector<std::unique_ptr<NetBackend>> backends;
        for (size_t i = 0; i < pairs; ++i) {
            auto backend = std::make_unique<FakeNetBackend>(vnet);
            m_backends.push_back(backend.get());
            backends.push_back(std::move(backend));
        }
        auto net = VirtioNet::create(std::move(backends), VirtioNetOptions {});
        ASSERT_TRUE(net);
        m_net = std::move(*net);
        size_t count = m_net->num_queues();
        for (size_t i = 0; i < count; ++i) {
            m_drivers.push_back(std::make_unique<MockDriverQueue>(m_memory, ring_size, 0x1000 + i * 0x1000));
            m_queues.emplace_back(static_cast<uint16_t>(i), 256);
        }
        for (size_t i = 0; i < count; ++i) {
            m_drivers[i]->configure(m_queues[i]);
            ASSERT_TRUE(m_queues[i].activate(m_memory, false, [this] { ++m_interrupt.needs_reset; }));
        }
        // Data buffers live above the rings.
        m_next_data = 0x20000;
        ASSERT_TRUE(m_net->activate(VirtioActivation { m_memory, features & (m_net->device_features() | virtio::k_f_version_1), m_queues, m_interrupt }));
        m_net->process_events(); // what the loop does after activation
    }

    GuestAddress alloc(size_t length)
    {
        GuestAddress address = m_next_data;
        m_next_data += (length + 15) & ~size_t { 15 };
        return address;
    }

    MockDriverQueue& rx() { return *m_drivers[0]; }
    MockDriverQueue& tx() { return *m_drivers[1]; }

    GuestMemory m_memory = test::make_guest_memory(0x100000);
    std::vector<std::unique_ptr<MockDriverQueue>> m_drivers;
    std::vector<VirtQueue> m_queues;
    FakeInterrupt m_interrupt;
    std::vector<FakeNetBackend*> m_backends;
    std::unique_ptr<VirtioNet> m_net;
    GuestAddress m_next_data = 0;
};

TEST_F(VirtioNetTest, ConfigHasMacAndLinkUp)
{
    start(false, k_f_mac | k_f_status | virtio::k_f_version_1);
    std::array<uint8_t, 10> config {};
    m_net->read_config(0, config);
    EXPECT_EQ(config[0], 0x52);
    EXPECT_EQ(config[5], 0x56);
    EXPECT_EQ(config[6], k_s_link_up);
    EXPECT_EQ(config[8], 1); // max_virtqueue_pairs
    EXPECT_EQ(m_net->num_queues(), 2);
    EXPECT_FALSE(m_net->device_features() & k_f_csum);
    EXPECT_EQ(m_net->device_type(), virtio::DeviceType::Net);
}

TEST_F(VirtioNetTest, OffloadsOnlyWithVnetBackend)
{
    start(true, k_f_guest_csum | k_f_guest_tso4 | k_f_csum | virtio::k_f_version_1);
    EXPECT_TRUE(m_net->device_features() & k_f_guest_tso6);
    EXPECT_TRUE(m_backends[0]->offloads.csum);
    EXPECT_TRUE(m_backends[0]->offloads.tso4);
    EXPECT_FALSE(m_backends[0]->offloads.tso6);
}

TEST_F(VirtioNetTest, TxStripsHeaderForPlainBackend)
{
    start(false, virtio::k_f_version_1 | k_f_mrg_rxbuf);
    auto frame = pattern(60, 1);
    GuestAddress header = alloc(12);
    GuestAddress data = alloc(60);
    ASSERT_TRUE(m_memory.write(data, frame));
    tx().add_chain({ { header, 12, false }, { data, 60, false } });
    m_net->queue_notify(1);
    ASSERT_EQ(m_backends[0]->sent.size(), 1u);
    EXPECT_EQ(m_backends[0]->sent[0], frame);
    EXPECT_EQ(tx().used_idx(), 1);
    EXPECT_EQ(m_interrupt.used, std::vector<uint16_t> { 1 });
}

TEST_F(VirtioNetTest, TxPassesHeaderToVnetBackend)
{
    start(true, virtio::k_f_version_1 | k_f_csum);
    VirtioNetHeader header { .flags = 1, .gso_type = 0, .hdr_len = 0, .gso_size = 0, .csum_start = 34, .csum_offset = 16, .num_buffers = 0 };
    auto frame = pattern(100, 3);
    std::vector<uint8_t> bytes(sizeof(header));
    std::memcpy(bytes.data(), &header, sizeof(header));
    bytes.insert(bytes.end(), frame.begin(), frame.end());
    GuestAddress address = alloc(bytes.size());
    ASSERT_TRUE(m_memory.write(address, bytes));
    tx().add_chain({ { address, static_cast<uint32_t>(bytes.size()), false } });
    m_net->queue_notify(1);
    ASSERT_EQ(m_backends[0]->sent.size(), 1u);
    EXPECT_EQ(m_backends[0]->sent[0], bytes);
}

TEST_F(VirtioNetTest, TxShortChainIsDropped)
{
    start(false, virtio::k_f_version_1);
    GuestAddress header = alloc(12);
    tx().add_chain({ { header, 6, false } });
    m_net->queue_notify(1);
    EXPECT_TRUE(m_backends[0]->sent.empty());
    EXPECT_EQ(tx().used_idx(), 1);
}

TEST_F(VirtioNetTest, RxSpreadsOverMergeableBuffers)
{
    start(false, virtio::k_f_version_1 | k_f_mrg_rxbuf);
    std::vector<GuestAddress> buffers;
    for (int i = 0; i < 4; ++i) {
        buffers.push_back(alloc(256));
        rx().add_chain({ { buffers.back(), 256, true } });
    }
    m_net->queue_notify(0);
    ASSERT_TRUE(m_backends[0]->receiving);
    auto frame = pattern(600, 9); // 12 + 600 = 612 bytes: three 256-byte buffers
    m_backends[0]->arrive(frame);

    ASSERT_EQ(rx().used_idx(), 3);
    EXPECT_EQ(rx().used(0).length, 256u);
    EXPECT_EQ(rx().used(1).length, 256u);
    EXPECT_EQ(rx().used(2).length, 100u);
    VirtioNetHeader header = m_memory.read_obj<VirtioNetHeader>(buffers[0]).value();
    EXPECT_EQ(header.num_buffers, 3);
    EXPECT_EQ(header.flags, 0);
    std::vector<uint8_t> got;
    auto first = rx().read_bytes(buffers[0] + 12, 244);
    got.insert(got.end(), first.begin(), first.end());
    auto second = rx().read_bytes(buffers[1], 256);
    got.insert(got.end(), second.begin(), second.end());
    auto third = rx().read_bytes(buffers[2], 100);
    got.insert(got.end(), third.begin(), third.end());
    EXPECT_EQ(got, frame);
    EXPECT_EQ(m_interrupt.used, std::vector<uint16_t> { 0 });
}

TEST_F(VirtioNetTest, RxPassesTapHeaderThrough)
{
    start(true, virtio::k_f_version_1 | k_f_mrg_rxbuf | k_f_guest_csum);
    GuestAddress buffer = alloc(2048);
    rx().add_chain({ { buffer, 2048, true } });
    m_net->queue_notify(0);
    VirtioNetHeader header { .flags = 1, .gso_type = 0, .hdr_len = 0, .gso_size = 0, .csum_start = 34, .csum_offset = 6, .num_buffers = 0x7777 };
    std::vector<uint8_t> bytes(sizeof(header));
    std::memcpy(bytes.data(), &header, sizeof(header));
    auto payload = pattern(80, 5);
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    m_backends[0]->arrive(bytes);
    ASSERT_EQ(rx().used_idx(), 1);
    EXPECT_EQ(rx().used(0).length, 92u);
    auto got = m_memory.read_obj<VirtioNetHeader>(buffer).value();
    EXPECT_EQ(got.flags, 1);
    EXPECT_EQ(got.csum_start, 34);
    EXPECT_EQ(got.csum_offset, 6);
    EXPECT_EQ(got.num_buffers, 1);
    EXPECT_EQ(rx().read_bytes(buffer + 12, 80), payload);
}

TEST_F(VirtioNetTest, RxFramesWaitInTheBackEndWithoutBuffers)
{
    start(false, virtio::k_f_version_1 | k_f_mrg_rxbuf);
    EXPECT_FALSE(m_backends[0]->receiving); // no buffers yet: the back end is not read
    m_backends[0]->arrive(pattern(100, 1));
    m_backends[0]->arrive(pattern(100, 2));
    EXPECT_EQ(m_backends[0]->incoming.size(), 2u);
    EXPECT_EQ(rx().used_idx(), 0);

    GuestAddress b1 = alloc(1514);
    rx().add_chain({ { b1, 1514, true } });
    m_net->queue_notify(0); // the guest added a buffer
    EXPECT_EQ(rx().used_idx(), 1);
    EXPECT_EQ(rx().read_bytes(b1 + 12, 100), pattern(100, 1));
    EXPECT_FALSE(m_backends[0]->receiving); // the second frame waits for another buffer
    EXPECT_EQ(m_backends[0]->incoming.size(), 1u);

    GuestAddress b2 = alloc(1514);
    rx().add_chain({ { b2, 1514, true } });
    m_net->queue_notify(0);
    EXPECT_EQ(rx().used_idx(), 2);
    EXPECT_EQ(rx().read_bytes(b2 + 12, 100), pattern(100, 2));
    EXPECT_TRUE(m_backends[0]->incoming.empty());
}

// With room for a largest frame posted, frames go from the back end straight into the guest's
// buffers; the device fills in the header's num_buffers.
TEST_F(VirtioNetTest, RxReadsStraightIntoMergeableBuffers)
{
    start(false, virtio::k_f_version_1 | k_f_mrg_rxbuf, 1, 64);
    std::vector<GuestAddress> buffers;
    for (int i = 0; i < 40; ++i) { // 80 KiB: more than a 64 KiB frame
        buffers.push_back(alloc(2048));
        rx().add_chain({ { buffers.back(), 2048, true } });
    }
    m_net->queue_notify(0);
    ASSERT_TRUE(m_backends[0]->receiving);
    auto frame = pattern(5000, 4); // 12 + 5000 bytes: 2048 + 2048 + 916
    m_backends[0]->arrive(frame);

    EXPECT_GT(m_backends[0]->largest_iov, 1u);
    ASSERT_EQ(rx().used_idx(), 3);
    EXPECT_EQ(rx().used(0).length, 2048u);
    EXPECT_EQ(rx().used(1).length, 2048u);
    EXPECT_EQ(rx().used(2).length, 916u);
    auto header = m_memory.read_obj<VirtioNetHeader>(buffers[0]).value();
    EXPECT_EQ(header.num_buffers, 3);
    EXPECT_EQ(header.flags, 0);
    std::vector<uint8_t> got = rx().read_bytes(buffers[0] + 12, 2036);
    for (int i = 1; i < 3; ++i) {
        auto part = rx().read_bytes(buffers[i], i == 2 ? 916 : 2048);
        got.insert(got.end(), part.begin(), part.end());
    }
    EXPECT_EQ(got, frame);

    // The next frame starts in the next unused buffer.
    m_backends[0]->arrive(pattern(60, 8));
    ASSERT_EQ(rx().used_idx(), 4);
    EXPECT_EQ(rx().used(3).id, rx().used(2).id + 1);
    EXPECT_EQ(rx().read_bytes(buffers[3] + 12, 60), pattern(60, 8));
}

TEST_F(VirtioNetTest, RxDirectFromTapFixesNumBuffers)
{
    start(true, virtio::k_f_version_1 | k_f_mrg_rxbuf | k_f_guest_csum | k_f_guest_tso4, 1, 64);
    std::vector<GuestAddress> buffers;
    for (int i = 0; i < 40; ++i) {
        buffers.push_back(alloc(2048));
        rx().add_chain({ { buffers.back(), 2048, true } });
    }
    m_net->queue_notify(0);
    // A 64 KiB GSO frame as tap hands it over; tap does not write num_buffers.
    VirtioNetHeader header { .flags = 1, .gso_type = 1, .hdr_len = 54, .gso_size = 1448, .csum_start = 34, .csum_offset = 16, .num_buffers = 0x7777 };
    std::vector<uint8_t> bytes(sizeof(header));
    std::memcpy(bytes.data(), &header, sizeof(header));
    auto payload = pattern(65000, 2);
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    m_backends[0]->arrive(bytes);

    EXPECT_GT(m_backends[0]->largest_iov, 1u);
    uint16_t expected_buffers = (65012 + 2047) / 2048; // 32
    ASSERT_EQ(rx().used_idx(), expected_buffers);
    EXPECT_EQ(rx().used(expected_buffers - 1).length, 65012u - (expected_buffers - 1) * 2048u);
    auto got = m_memory.read_obj<VirtioNetHeader>(buffers[0]).value();
    EXPECT_EQ(got.num_buffers, expected_buffers);
    EXPECT_EQ(got.gso_type, 1);
    EXPECT_EQ(got.gso_size, 1448);
    EXPECT_EQ(rx().read_bytes(buffers[0] + 12, 100), std::vector<uint8_t>(payload.begin(), payload.begin() + 100));
    EXPECT_EQ(rx().read_bytes(buffers[31], 100),
        std::vector<uint8_t>(payload.begin() + 31 * 2048 - 12, payload.begin() + 31 * 2048 - 12 + 100));
    EXPECT_EQ(m_interrupt.used, std::vector<uint16_t> { 0 });
}

TEST_F(VirtioNetTest, RxWithoutMergeableNeedsOneLargeBuffer)
{
    start(false, virtio::k_f_version_1);
    GuestAddress small = alloc(64);
    rx().add_chain({ { small, 64, true } });
    m_net->queue_notify(0);
    m_backends[0]->arrive(pattern(200, 1)); // does not fit: dropped
    EXPECT_EQ(rx().used_idx(), 0);
    m_backends[0]->arrive(pattern(40, 2)); // fits the buffer kept from before
    ASSERT_EQ(rx().used_idx(), 1);
    EXPECT_EQ(rx().used(0).length, 52u);
    EXPECT_EQ(m_memory.read_obj<VirtioNetHeader>(small).value().num_buffers, 1);
}

TEST_F(VirtioNetTest, ResetStopsReceiving)
{
    start(false, virtio::k_f_version_1);
    EXPECT_TRUE(m_backends[0]->receiving);
    m_net->reset();
    m_net->process_events();
    EXPECT_FALSE(m_backends[0]->receiving);
    m_net->queue_notify(1); // ignored after reset
}

TEST_F(VirtioNetTest, MultiqueueControlSetsPairs)
{
    start(false, virtio::k_f_version_1 | k_f_ctrl_vq | k_f_mq, 2);
    EXPECT_EQ(m_net->num_queues(), 5);
    EXPECT_EQ(m_net->active_queue_pairs(), 1);
    EXPECT_FALSE(m_backends[1]->receiving);

    std::array<uint8_t, 4> command { k_ctrl_class_mq, k_ctrl_mq_vq_pairs_set, 2, 0 };
    GuestAddress cmd = alloc(4);
    ASSERT_TRUE(m_memory.write(cmd, command));
    GuestAddress ack = alloc(1);
    m_memory.write_obj<uint8_t>(ack, 0xff).value();
    m_drivers[4]->add_chain({ { cmd, 4, false }, { ack, 1, true } });
    m_net->queue_notify(4);
    EXPECT_EQ(m_memory.read_obj<uint8_t>(ack).value(), k_ctrl_ok);
    EXPECT_EQ(m_net->active_queue_pairs(), 2);
    EXPECT_TRUE(m_backends[1]->receiving);

    // Pair 1 transmits through back end 1.
    GuestAddress frame = alloc(12 + 60);
    m_drivers[3]->add_chain({ { frame, 72, false } });
    m_net->queue_notify(3);
    EXPECT_EQ(m_backends[1]->sent.size(), 1u);
    EXPECT_TRUE(m_backends[0]->sent.empty());

    // Too many pairs is refused.
    std::array<uint8_t, 4> bad { k_ctrl_class_mq, k_ctrl_mq_vq_pairs_set, 3, 0 };
    ASSERT_TRUE(m_memory.write(cmd, bad));
    m_drivers[4]->add_chain({ { cmd, 4, false }, { ack, 1, true } });
    m_net->queue_notify(4);
    EXPECT_EQ(m_memory.read_obj<uint8_t>(ack).value(), k_ctrl_err);
}

// Regression (the transmit budget, now shared by every queue handler as QueueRun): a second
// vCPU making chains available as the device sends them does not keep one run going; the run
// asks the transport for another (the queue's notify eventfd) instead.
TEST_F(VirtioNetTest, TxRingKeptFullDoesNotKeepOneRunGoing)
{
    start(false, virtio::k_f_version_1);
    GuestAddress frame = alloc(12 + 60);
    for (int i = 0; i < 8; ++i)
        tx().add_chain({ { frame, 72, false } });
    test::RingRefiller vcpu(tx());
    m_backends[0]->on_send = [&] { vcpu.refill(); };

    m_net->queue_notify(1);
    EXPECT_EQ(m_backends[0]->sent.size(), 8u);
    EXPECT_EQ(m_interrupt.renotified, std::vector<uint16_t>({ 1 }));
    EXPECT_EQ(tx().used_flags(), k_virtq_used_f_no_notify); // the next run comes anyway
    m_net->queue_notify(1); // the loop's next turn
    EXPECT_EQ(m_backends[0]->sent.size(), 16u);
}

// Regression: the receive loop ran while the back end had frames and the guest had buffers; a
// second vCPU giving each buffer back as soon as it was used kept one run going for ever.
TEST_F(VirtioNetTest, RxRingKeptFullDoesNotKeepOneRunGoing)
{
    start(false, virtio::k_f_version_1); // one chain per frame
    for (int i = 0; i < 8; ++i)
        rx().add_chain({ { alloc(1514), 1514, true } });
    for (int i = 0; i < 100; ++i)
        m_backends[0]->incoming.push_back(pattern(60, static_cast<uint8_t>(i)));
    test::RingRefiller vcpu(rx());
    m_backends[0]->on_receive = [&] { vcpu.refill(); };

    m_net->queue_notify(0);
    EXPECT_EQ(rx().used_idx(), 8); // without the budget: all 100 frames
    EXPECT_EQ(m_interrupt.renotified, std::vector<uint16_t>({ 0 }));
    m_net->queue_notify(0); // the loop's next turn
    EXPECT_EQ(rx().used_idx(), 16);
    EXPECT_EQ(m_interrupt.needs_reset, 0);
}

// Regression: receive chains reserved for a frame were not counted as in use, so a driver
// could offer them again and the reserved list grew without bound. More chains in use than
// the queue size break the queue.
TEST_F(VirtioNetTest, RxReservedHeadsOfferedAgainBreakTheQueue)
{
    start(false, virtio::k_f_version_1 | k_f_mrg_rxbuf);
    for (int i = 0; i < 8; ++i) // 8 small buffers: not enough for a largest frame, all reserved
        rx().add_chain({ { alloc(64), 64, true } });
    m_net->queue_notify(0);
    EXPECT_EQ(m_queues[0].in_use(), 8u);
    EXPECT_EQ(m_interrupt.needs_reset, 0);

    rx().publish(0); // head 0 again, still reserved
    m_net->queue_notify(0);
    EXPECT_TRUE(m_queues[0].broken());
    EXPECT_EQ(m_interrupt.needs_reset, 1);
}

// The control queue: a second vCPU (a thread here) re-offering every command as soon as it is
// answered does not keep one run going.
TEST_F(VirtioNetTest, CtrlRingKeptFullDoesNotKeepOneRunGoing)
{
    start(false, virtio::k_f_version_1 | k_f_ctrl_vq | k_f_mq, 2, 64);
    std::array<uint8_t, 4> command { k_ctrl_class_mq, k_ctrl_mq_vq_pairs_set, 1, 0 };
    GuestAddress cmd = alloc(4);
    ASSERT_TRUE(m_memory.write(cmd, command));
    GuestAddress ack = alloc(1);
    for (int i = 0; i < 64; ++i) // one descriptor each: the whole ring
        m_drivers[4]->add_indirect_chain({ { cmd, 4, false }, { ack, 1, true } });
    test::RingRefiller vcpu(*m_drivers[4]);
    vcpu.start();

    m_net->queue_notify(4);
    uint16_t first_run = m_drivers[4]->used_idx();
    vcpu.stop();

    EXPECT_EQ(first_run, 64); // without the budget: until the refiller gives up (20000)
    EXPECT_EQ(m_interrupt.renotified, std::vector<uint16_t>({ 4 }));
    EXPECT_EQ(m_interrupt.needs_reset, 0);
}

TEST(VirtioNetOptions, MacParsingAndDefaults)
{
    auto mac = parse_mac("52:54:00:ab:CD:0f");
    ASSERT_TRUE(mac);
    EXPECT_EQ((*mac)[3], 0xab);
    EXPECT_EQ((*mac)[4], 0xcd);
    EXPECT_FALSE(parse_mac("52:54:00:ab:cd"));
    EXPECT_FALSE(parse_mac("01:00:5e:00:00:01")); // multicast
    EXPECT_FALSE(parse_mac("52:54:00:ab:cd:0g"));
    auto defaults = virtio_net_options(nullptr, 2);
    EXPECT_EQ(defaults->mac[5], 0x58);
    DeviceConfig device;
    device.properties = { { "mac", "52:54:00:00:00:01" } };
    EXPECT_EQ(virtio_net_options(&device, 0)->mac[5], 1);
}

} // namespace
} // namespace vireo
