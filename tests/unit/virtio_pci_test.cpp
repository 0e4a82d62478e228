// The virtio-pci transport driven like a guest driver: find the capabilities, reset, negotiate
// features, set up a queue, DRIVER_OK, notify, and see the used entry and the MSI-X eventfd.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "bus/bus.h"
#include "devices/pci/pci_root.h"
#include "devices/virtio/queue_run.h"
#include "devices/virtio/virtio_pci.h"
#include "devices/virtio/virtio_pci_regs.h"
#include "virtio_test_support.h"

using namespace vireo;
using namespace vireo::virtio_pci;

namespace {

// Copies each chain's readable bytes, upper-cased, into its writable part.
class UpperDevice final : public VirtioDevice {
public:
    virtio::DeviceType device_type() const override { return virtio::DeviceType::Entropy; }
    uint64_t device_features() const override { return 1ULL << 3; }
    uint16_t num_queues() const override { return 2; }
    uint16_t queue_max_size(uint16_t) const override { return 64; }
    uint32_t config_size() const override { return 8; }
    void read_config(uint32_t offset, std::span<uint8_t> data) override
    {
        for (size_t i = 0; i < data.size(); ++i)
            data[i] = static_cast<uint8_t>(0xa0 + offset + i);
    }
    Result<void> activate(VirtioActivation activation) override
    {
        m_queues = activation.queues;
        m_interrupt = &activation.interrupt;
        features = activation.features;
        ++activations;
        return {};
    }
    void reset() override
    {
        m_queues = {};
        m_interrupt = nullptr;
        ++resets;
    }
    void queue_notify(uint16_t index) override
    {
        auto& queue = m_queues[index];
        QueueRun run(queue, *m_interrupt, run_budget ? run_budget : queue.size());
        while (auto chain = run.pop()) {
            std::vector<uint8_t> bytes(chain->readable_length());
            chain->read_from(0, bytes);
            for (auto& byte : bytes)
                byte = static_cast<uint8_t>(std::toupper(byte));
            queue.push(*chain, static_cast<uint32_t>(chain->write_to(0, bytes)));
        }
        if (queue.should_notify())
            m_interrupt->signal_used(index);
    }
    uint64_t features = 0;
    uint32_t run_budget = 0; // chains per queue_notify(); 0: the queue size
    int activations = 0;
    int resets = 0;

private:
    std::span<VirtQueue> m_queues;
    VirtioInterrupt* m_interrupt = nullptr;
};

constexpr PciWindows test_windows { .mmio32_start = 0xc000'0000, .mmio32_end = 0xfec0'0000, .io_start = 0xc000,
    .io_end = 0x10000 };

struct VirtioPciFixture : ::testing::Test {
    GuestMemory memory = test::make_guest_memory();
    Bus mmio { "mmio" };
    Bus pio { "pio" };
    test::FakeMsiRouter router;
    test::FakeIoEventRegistrar ioevents;
    std::shared_ptr<test::FakeInterruptLine> line = std::make_shared<test::FakeInterruptLine>();
    PciRoot root { mmio, pio, test_windows, {},
        [this](uint8_t) { return IntxRoute { line, 10 }; } };
    std::shared_ptr<UpperDevice> device = std::make_shared<UpperDevice>();
    std::shared_ptr<VirtioPciDevice> transport;
    uint8_t slot = 0;
    // BARs and offsets found by walking the capability list, as a driver does.
    std::map<uint8_t, uint32_t> cap_offset;
    std::map<uint8_t, int> cap_bar;
    uint32_t notify_multiplier = 0xff;
    uint64_t bar = 0;
    uint64_t notify_port = 0;

    void SetUp() override
    {
        transport = VirtioPciDevice::create(device, memory, router, &ioevents, nullptr).value();
        slot = root.add_device(transport).value();
        bar = *transport->bar_mapping(0);
        notify_port = *transport->bar_mapping(k_notify_bar);
        uint8_t pointer = cfg8(pci::k_capabilities_pointer);
        while (pointer) {
            if (cfg8(pointer) == pci::k_cap_vendor) {
                uint8_t type = cfg8(static_cast<uint16_t>(pointer + 3));
                cap_bar[type] = cfg8(static_cast<uint16_t>(pointer + 4));
                cap_offset[type] = cfg32(static_cast<uint16_t>(pointer + 8));
                if (type == k_cap_notify_cfg)
                    notify_multiplier = cfg32(static_cast<uint16_t>(pointer + 16));
            }
            pointer = cfg8(static_cast<uint16_t>(pointer + 1));
        }
    }
    uint8_t cfg8(uint16_t offset)
    {
        uint8_t value = 0;
        root.config_read(slot, 0, offset, std::span(&value, 1));
        return value;
    }
    uint32_t cfg32(uint16_t offset)
    {
        uint32_t value = 0;
        root.config_read(slot, 0, offset, std::span(reinterpret_cast<uint8_t*>(&value), 4));
        return value;
    }
    template<typename T>
    T read(uint8_t cap, uint32_t offset)
    {
        T value {};
        mmio.read(bar + cap_offset.at(cap) + offset, std::span(reinterpret_cast<uint8_t*>(&value), sizeof(T)));
        return value;
    }
    template<typename T>
    void write(uint8_t cap, uint32_t offset, T value)
    {
        mmio.write(bar + cap_offset.at(cap) + offset, std::span(reinterpret_cast<uint8_t*>(&value), sizeof(T)));
    }
    // A queue notify as the driver does it: the queue's index written to the notify port.
    template<typename T = uint16_t>
    void notify(T index, uint32_t offset = 0)
    {
        pio.write(notify_port + cap_offset.at(k_cap_notify_cfg) + offset,
            std::span(reinterpret_cast<uint8_t*>(&index), sizeof(T)));
    }
    uint64_t device_features()
    {
        write<uint32_t>(k_cap_common_cfg, k_device_feature_select, 0);
        uint64_t low = read<uint32_t>(k_cap_common_cfg, k_device_feature);
        write<uint32_t>(k_cap_common_cfg, k_device_feature_select, 1);
        return low | uint64_t { read<uint32_t>(k_cap_common_cfg, k_device_feature) } << 32;
    }
    void set_driver_features(uint64_t features)
    {
        write<uint32_t>(k_cap_common_cfg, k_driver_feature_select, 0);
        write<uint32_t>(k_cap_common_cfg, k_driver_feature, static_cast<uint32_t>(features));
        write<uint32_t>(k_cap_common_cfg, k_driver_feature_select, 1);
        write<uint32_t>(k_cap_common_cfg, k_driver_feature, static_cast<uint32_t>(features >> 32));
    }
    uint8_t status() { return read<uint8_t>(k_cap_common_cfg, k_device_status); }
    void set_status(uint8_t value) { write<uint8_t>(k_cap_common_cfg, k_device_status, value); }
    void setup_queue(uint16_t index, test::MockDriverQueue& ring, uint16_t vector)
    {
        write<uint16_t>(k_cap_common_cfg, k_queue_select, index);
        write<uint16_t>(k_cap_common_cfg, k_queue_size, ring.size());
        write<uint16_t>(k_cap_common_cfg, k_queue_msix_vector, vector);
        // 64-bit addresses written as two halves, as Linux does.
        write<uint32_t>(k_cap_common_cfg, k_queue_desc, static_cast<uint32_t>(ring.desc_table()));
        write<uint32_t>(k_cap_common_cfg, k_queue_desc + 4, 0);
        write<uint64_t>(k_cap_common_cfg, k_queue_driver, ring.avail_ring());
        write<uint64_t>(k_cap_common_cfg, k_queue_device, ring.used_ring());
        write<uint16_t>(k_cap_common_cfg, k_queue_enable, 1);
    }
    void enable_msix_vector(uint16_t vector)
    {
        uint8_t cap = cfg8(pci::k_capabilities_pointer);
        while (cfg8(cap) != pci::k_cap_msix)
            cap = cfg8(static_cast<uint16_t>(cap + 1));
        uint16_t control = Msix::k_control_enable;
        root.config_write(slot, 0, static_cast<uint16_t>(cap + 2), std::span(reinterpret_cast<uint8_t*>(&control), 2));
        uint64_t entry = bar + k_msix_table_offset + 16ULL * vector;
        uint32_t words[4] = { 0xfee0'0000, 0, 0x30U + vector, 0 };
        for (int i = 0; i < 4; ++i)
            mmio.write(entry + 4ULL * i, std::span(reinterpret_cast<uint8_t*>(&words[i]), 4));
    }
    void negotiate()
    {
        set_status(0);
        set_status(virtio::k_status_acknowledge);
        set_status(virtio::k_status_acknowledge | virtio::k_status_driver);
        set_driver_features(device_features());
        set_status(virtio::k_status_acknowledge | virtio::k_status_driver | virtio::k_status_features_ok);
        ASSERT_TRUE(status() & virtio::k_status_features_ok);
    }
    void driver_ok()
    {
        set_status(virtio::k_status_acknowledge | virtio::k_status_driver | virtio::k_status_features_ok
            | virtio::k_status_driver_ok);
    }
};

} // namespace

TEST_F(VirtioPciFixture, IdentifiesAsModernVirtio)
{
    EXPECT_EQ(cfg32(0), 0x1044'1af4u); // 0x1040 + type 4
    EXPECT_EQ(cfg8(pci::k_revision_id), 1);
    EXPECT_EQ(cfg32(pci::k_subsystem_vendor_id) & 0xffff, 0x1af4u);
    EXPECT_GE(cfg32(pci::k_subsystem_vendor_id) >> 16, 0x40u);
    EXPECT_TRUE(cap_offset.contains(k_cap_common_cfg));
    EXPECT_TRUE(cap_offset.contains(k_cap_notify_cfg));
    EXPECT_TRUE(cap_offset.contains(k_cap_isr_cfg));
    EXPECT_TRUE(cap_offset.contains(k_cap_device_cfg));
    // Notify in the I/O BAR, every queue on one port; the rest in memory BAR 0.
    EXPECT_EQ(cap_bar[k_cap_notify_cfg], k_notify_bar);
    EXPECT_EQ(transport->bar_info(k_notify_bar).kind, BarKind::Io);
    EXPECT_EQ(notify_multiplier, 0u);
    for (uint8_t type : { k_cap_common_cfg, k_cap_isr_cfg, k_cap_device_cfg })
        EXPECT_EQ(cap_bar[type], 0) << int(type);
    EXPECT_EQ(read<uint16_t>(k_cap_common_cfg, k_num_queues), 2);
    EXPECT_EQ(read<uint32_t>(k_cap_device_cfg, 0), 0xa3a2'a1a0u);
}

TEST_F(VirtioPciFixture, OffersVersion1RingFeaturesAndDeviceBits)
{
    uint64_t features = device_features();
    EXPECT_TRUE(features & virtio::k_f_version_1);
    EXPECT_TRUE(features & virtio::k_f_ring_indirect_desc);
    EXPECT_TRUE(features & virtio::k_f_ring_event_idx);
    EXPECT_TRUE(features & (1ULL << 3));
}

TEST_F(VirtioPciFixture, FeaturesOkRefusedWithoutVersion1OrWithUnofferedBits)
{
    set_status(virtio::k_status_acknowledge | virtio::k_status_driver);
    set_driver_features(1ULL << 3);
    set_status(virtio::k_status_acknowledge | virtio::k_status_driver | virtio::k_status_features_ok);
    EXPECT_FALSE(status() & virtio::k_status_features_ok);
    set_status(0);
    set_driver_features(virtio::k_f_version_1 | (1ULL << 5));
    set_status(virtio::k_status_features_ok);
    EXPECT_FALSE(status() & virtio::k_status_features_ok);
}

TEST_F(VirtioPciFixture, QueueSetupDriverOkNotifyAndMsix)
{
    negotiate();
    write<uint16_t>(k_cap_common_cfg, k_queue_select, 0);
    EXPECT_EQ(read<uint16_t>(k_cap_common_cfg, k_queue_size), 64);
    EXPECT_EQ(read<uint16_t>(k_cap_common_cfg, k_queue_notify_off), 0);
    test::MockDriverQueue ring(memory, 16);
    setup_queue(0, ring, 1);
    EXPECT_EQ(read<uint16_t>(k_cap_common_cfg, k_queue_msix_vector), 1);
    EXPECT_EQ(read<uint64_t>(k_cap_common_cfg, k_queue_desc), ring.desc_table());
    write<uint16_t>(k_cap_common_cfg, k_config_msix_vector, 0);
    enable_msix_vector(1);
    driver_ok();
    EXPECT_EQ(device->activations, 1);
    EXPECT_TRUE(device->features & virtio::k_f_version_1);

    auto in = ring.alloc_with(std::string("vireo"));
    auto out = ring.alloc(5);
    uint16_t head = ring.add_chain({ { in, 5, false }, { out, 5, true } });
    // One ioeventfd per queue on the notify port, told apart by the value written.
    ASSERT_EQ(ioevents.registrations.size(), 2u);
    for (uint16_t i = 0; i < 2; ++i) {
        EXPECT_EQ(ioevents.registrations[i].space, IoEventRegistrar::Space::Pio);
        EXPECT_EQ(ioevents.registrations[i].address, notify_port);
        EXPECT_EQ(ioevents.registrations[i].length, 2u);
        EXPECT_EQ(ioevents.registrations[i].datamatch, std::optional<uint64_t>(i));
        EXPECT_EQ(ioevents.registrations[i].fd, transport->notify_event(i).fd());
    }
    // No ioeventfd in this test: the port write reaches the handler directly.
    notify(uint16_t(0));
    EXPECT_EQ(ring.used_idx(), 1);
    EXPECT_EQ(ring.used(0).id, head);
    EXPECT_EQ(ring.used(0).length, 5u);
    EXPECT_EQ(ring.read_string(out, 5), "VIREO");
    EXPECT_EQ(transport->msix()->event(1).consume(), 1u);
    EXPECT_EQ(line->raised, 0);
}

// A device whose run spent its budget asks for another: the transport signals the queue's
// notify eventfd, which the event loop answers with queue_notify() as for a guest kick.
TEST_F(VirtioPciFixture, SpentRunBudgetSignalsTheQueueNotifyEventfd)
{
    device->run_budget = 1;
    negotiate();
    test::MockDriverQueue ring(memory, 16);
    setup_queue(0, ring, 1);
    driver_ok();
    for (int i = 0; i < 2; ++i)
        ring.add_chain({ { ring.alloc_with(std::string("x")), 1, false } });

    notify(uint16_t(0));
    EXPECT_EQ(ring.used_idx(), 1);
    EXPECT_EQ(transport->notify_event(0).consume(), 1u);
    transport->handle_notify(0); // what the loop does for the eventfd
    EXPECT_EQ(ring.used_idx(), 2);
    EXPECT_FALSE(status() & virtio::k_status_needs_reset);
}

TEST_F(VirtioPciFixture, IntxAndIsrWithoutMsix)
{
    negotiate();
    test::MockDriverQueue ring(memory, 16);
    setup_queue(1, ring, k_no_vector);
    driver_ok();
    ring.add_chain({ { ring.alloc_with(std::string("x")), 1, false } });
    notify(uint16_t(1));
    EXPECT_EQ(ring.used_idx(), 1);
    EXPECT_TRUE(line->level);
    EXPECT_EQ(read<uint8_t>(k_cap_isr_cfg, 0), k_isr_queue);
    EXPECT_FALSE(line->level);
    EXPECT_EQ(read<uint8_t>(k_cap_isr_cfg, 0), 0);
}

TEST_F(VirtioPciFixture, MalformedChainSetsNeedsResetAndConfigInterrupt)
{
    negotiate();
    test::MockDriverQueue ring(memory, 16);
    setup_queue(0, ring, 1);
    write<uint16_t>(k_cap_common_cfg, k_config_msix_vector, 0);
    enable_msix_vector(0);
    driver_ok();
    ring.publish(200); // head index out of range
    notify(uint16_t(0));
    EXPECT_TRUE(status() & virtio::k_status_needs_reset);
    EXPECT_EQ(transport->msix()->event(0).consume(), 1u);
    EXPECT_EQ(ring.used_idx(), 0);
    // Reset brings it back.
    set_status(0);
    EXPECT_EQ(status(), 0);
    EXPECT_EQ(device->resets, 1);
}

TEST_F(VirtioPciFixture, BadRingsAtDriverOkSetNeedsReset)
{
    negotiate();
    write<uint16_t>(k_cap_common_cfg, k_queue_select, 0);
    write<uint16_t>(k_cap_common_cfg, k_queue_size, 16);
    write<uint64_t>(k_cap_common_cfg, k_queue_desc, 0x20'0000); // outside RAM
    write<uint16_t>(k_cap_common_cfg, k_queue_enable, 1);
    driver_ok();
    EXPECT_TRUE(status() & virtio::k_status_needs_reset);
    EXPECT_EQ(device->activations, 0);
}

TEST_F(VirtioPciFixture, InvalidVectorReadsBackNoVector)
{
    write<uint16_t>(k_cap_common_cfg, k_config_msix_vector, 77);
    EXPECT_EQ(read<uint16_t>(k_cap_common_cfg, k_config_msix_vector), k_no_vector);
    write<uint16_t>(k_cap_common_cfg, k_queue_select, 9); // no such queue
    EXPECT_EQ(read<uint16_t>(k_cap_common_cfg, k_queue_size), 0);
}

TEST_F(VirtioPciFixture, IoeventfdsMoveWithTheNotifyBar)
{
    uint32_t new_port = 0xd000;
    root.config_write(slot, 0, static_cast<uint16_t>(pci::k_bar0 + 4 * k_notify_bar),
        std::span(reinterpret_cast<uint8_t*>(&new_port), 4));
    ASSERT_EQ(ioevents.registrations.size(), 2u);
    EXPECT_EQ(ioevents.registrations[0].address, new_port);
    EXPECT_EQ(ioevents.registrations[1].address, new_port);
    // Moving the memory BAR leaves them alone.
    uint32_t new_bar = 0xd000'0000;
    root.config_write(slot, 0, pci::k_bar0, std::span(reinterpret_cast<uint8_t*>(&new_bar), 4));
    EXPECT_EQ(ioevents.registrations[0].address, new_port);
}

// A guest can move the notify BAR onto a port where another device's ioeventfd sits, and KVM
// refuses the second (EEXIST; QEMU 7.2 aborts there, docs/benchmarks.md, "The hostile guest
// against QEMU"). The queue's notifies then arrive as port exits, and the guest, moving the BAR
// back and forth, cannot fill the host's log.
TEST_F(VirtioPciFixture, ANotifyBarMovedOntoATakenPortStillNotifiesAndLogsBoundedly)
{
    negotiate();
    test::MockDriverQueue ring(memory, 16);
    setup_queue(0, ring, k_no_vector);
    driver_ok();
    ioevents.refuse_adds = true;
    testing::internal::CaptureStderr();
    for (uint32_t move = 0; move < 100; ++move) {
        uint32_t port = move % 2 ? 0xd100 : 0xd000;
        root.config_write(slot, 0, static_cast<uint16_t>(pci::k_bar0 + 4 * k_notify_bar),
            std::span(reinterpret_cast<uint8_t*>(&port), 4));
    }
    std::string log = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(ioevents.registrations.empty());
    EXPECT_LE(std::count(log.begin(), log.end(), '\n'), 10) << log.substr(0, 400);
    notify_port = *transport->bar_mapping(k_notify_bar);
    EXPECT_EQ(notify_port, 0xd100u);
    ring.add_chain({ { ring.alloc_with(std::string("x")), 1, false } });
    notify(uint16_t(0));
    EXPECT_EQ(ring.used_idx(), 1);
}

TEST_F(VirtioPciFixture, NotifyOfAnotherWidthOrQueueIsIgnored)
{
    negotiate();
    test::MockDriverQueue ring(memory, 16);
    setup_queue(0, ring, k_no_vector);
    driver_ok();
    ring.add_chain({ { ring.alloc_with(std::string("x")), 1, false } });
    notify(uint8_t(0));   // a byte, not the 16 bits of §4.1.5.2
    notify(uint32_t(0));  // a dword
    notify(uint16_t(7));  // no such queue
    notify(uint16_t(0), 2); // past the notify structure
    EXPECT_EQ(ring.used_idx(), 0);
    notify(uint16_t(0));
    EXPECT_EQ(ring.used_idx(), 1);
}

TEST(VirtioPciEventLoop, NotifyRunsOnTheEventLoopThread)
{
    auto memory = test::make_guest_memory();
    Bus mmio { "mmio" };
    Bus pio { "pio" };
    test::FakeMsiRouter router;
    auto loop = EventLoop::create().value(); // outlives the devices (they unregister from it)
    PciRoot root { mmio, pio, test_windows, {} };
    auto device = std::make_shared<UpperDevice>();
    auto transport = VirtioPciDevice::create(device, memory, router, nullptr, loop.get()).value();
    ASSERT_TRUE(root.add_device(transport));
    uint64_t bar = *transport->bar_mapping(0);
    uint64_t notify_port = *transport->bar_mapping(k_notify_bar);
    auto write8 = [&](uint32_t offset, uint8_t value) { mmio.write(bar + offset, std::span(&value, 1)); };
    auto write16 = [&](uint32_t offset, uint16_t value) {
        mmio.write(bar + offset, std::span(reinterpret_cast<uint8_t*>(&value), 2));
    };
    auto write64 = [&](uint32_t offset, uint64_t value) {
        mmio.write(bar + offset, std::span(reinterpret_cast<uint8_t*>(&value), 8));
    };
    auto write32 = [&](uint32_t offset, uint32_t value) {
        mmio.write(bar + offset, std::span(reinterpret_cast<uint8_t*>(&value), 4));
    };

    test::MockDriverQueue ring(memory, 8);
    write8(k_common_offset + k_device_status, virtio::k_status_acknowledge | virtio::k_status_driver);
    write32(k_common_offset + k_driver_feature_select, 1);
    write32(k_common_offset + k_driver_feature, 1); // VERSION_1
    write8(k_common_offset + k_device_status,
        virtio::k_status_acknowledge | virtio::k_status_driver | virtio::k_status_features_ok);
    write16(k_common_offset + k_queue_select, 0);
    write16(k_common_offset + k_queue_size, 8);
    write64(k_common_offset + k_queue_desc, ring.desc_table());
    write64(k_common_offset + k_queue_driver, ring.avail_ring());
    write64(k_common_offset + k_queue_device, ring.used_ring());
    write16(k_common_offset + k_queue_enable, 1);
    write8(k_common_offset + k_device_status,
        virtio::k_status_acknowledge | virtio::k_status_driver | virtio::k_status_features_ok | virtio::k_status_driver_ok);
    ASSERT_EQ(device->activations, 1);

    std::thread loop_thread([&] { loop->run(); });
    auto out = ring.alloc(2);
    ring.add_chain({ { ring.alloc_with(std::string("ok")), 2, false }, { out, 2, true } });
    uint16_t queue = 0;
    pio.write(notify_port, std::span(reinterpret_cast<uint8_t*>(&queue), 2));
    for (int i = 0; i < 2000 && ring.used_idx() == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    loop->stop();
    loop_thread.join();
    EXPECT_EQ(ring.used_idx(), 1);
    EXPECT_EQ(ring.read_string(out, 2), "OK");
}
