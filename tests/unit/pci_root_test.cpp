// PCI: configuration mechanism #1, BAR sizing and relocation on a real Bus, capability list,
// MSI-X programming reaching the MSI router.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "bus/bus.h"
#include "devices/pci/pci_device.h"
#include "devices/pci/pci_root.h"
#include "virtio_test_support.h"

using namespace vireo;

namespace {

class TestDevice final : public PciDevice {
public:
    explicit TestDevice(MsiRouter* router = nullptr)
        : PciDevice(PciIds { .vendor = 0x1234, .device = 0x5678, .class_code = 0xff'00'00, .revision = 3 })
    {
        add_bar(0, BarKind::Memory32, 0x4000);
        add_bar(2, BarKind::Memory64, 0x10000, true);
        add_bar(4, BarKind::Io, 0x20);
        std::array<uint8_t, 2> body { 0xaa, 0xbb };
        add_capability(pci::k_cap_vendor, body);
        if (router) {
            EXPECT_TRUE(add_msix(4, 0, 0x2000, 0x3000, *router));
        }
    }
    uint64_t last_write_offset = ~0ULL;
    int remaps = 0;

protected:
    void bar_read(int bar, uint64_t offset, std::span<uint8_t> data) override
    {
        std::ranges::fill(data, static_cast<uint8_t>(bar * 16 + (offset & 0xf)));
    }
    void bar_write(int, uint64_t offset, std::span<const uint8_t>) override { last_write_offset = offset; }
    void bar_remapped(int, std::optional<uint64_t>, std::optional<uint64_t>) override { ++remaps; }
};

struct PciFixture : ::testing::Test {
    Bus mmio { "mmio" };
    Bus pio { "pio" };
    int resets = 0;
    uint8_t reset_value = 0;
    test::FakeMsiRouter router;
    std::shared_ptr<test::FakeInterruptLine> line = std::make_shared<test::FakeInterruptLine>();
    PciRoot root { mmio, pio,
        PciWindows { .mmio32_start = 0xc000'0000, .mmio32_end = 0xfec0'0000, .io_start = 0xc000, .io_end = 0x10000 },
        [this](uint8_t value) {
            ++resets;
            reset_value = value;
        },
        [this](uint8_t) { return IntxRoute { line, 11 }; } };

    void SetUp() override { ASSERT_TRUE(root.attach_ports()); }

    void out32(uint16_t port, uint32_t value)
    {
        std::array<uint8_t, 4> bytes;
        std::memcpy(bytes.data(), &value, 4);
        pio.write(port, bytes);
    }
    uint32_t in(uint16_t port, size_t size)
    {
        std::array<uint8_t, 4> bytes {};
        pio.read(port, std::span(bytes).first(size));
        uint32_t value = 0;
        std::memcpy(&value, bytes.data(), size);
        return value;
    }
    uint32_t cfg_read(uint8_t slot, uint8_t reg, size_t size = 4)
    {
        out32(0xcf8, 0x8000'0000U | uint32_t { slot } << 11 | (reg & 0xfcU));
        return in(static_cast<uint16_t>(0xcfc + (reg & 3)), size);
    }
    // The MSI-X capability's offset, found by walking the list as a driver does.
    uint8_t msix_capability(uint8_t slot)
    {
        uint8_t cap = static_cast<uint8_t>(cfg_read(slot, 0x34, 1));
        while (cfg_read(slot, cap, 1) != pci::k_cap_msix)
            cap = static_cast<uint8_t>(cfg_read(slot, static_cast<uint8_t>(cap + 1), 1));
        return cap;
    }
    void cfg_write(uint8_t slot, uint8_t reg, uint32_t value, size_t size = 4)
    {
        out32(0xcf8, 0x8000'0000U | uint32_t { slot } << 11 | (reg & 0xfcU));
        std::array<uint8_t, 4> bytes;
        std::memcpy(bytes.data(), &value, 4);
        pio.write(static_cast<uint16_t>(0xcfc + (reg & 3)), std::span(bytes).first(size));
    }
    uint32_t mmio_read32(uint64_t address)
    {
        uint32_t value = 0;
        mmio.read(address, std::span(reinterpret_cast<uint8_t*>(&value), 4));
        return value;
    }
};

} // namespace

TEST_F(PciFixture, HostBridgeIdentifiesAsI440fx)
{
    EXPECT_EQ(cfg_read(0, 0x00), 0x1237'8086u);
    EXPECT_EQ(cfg_read(0, 0x0a, 2), 0x0600u);
    EXPECT_EQ(cfg_read(0, 0x0e, 1), 0u);
}

TEST_F(PciFixture, EmptySlotReadsAllOnes)
{
    EXPECT_EQ(cfg_read(7, 0x00), 0xffff'ffffu);
    // Bus 1 does not exist either.
    out32(0xcf8, 0x8001'0000);
    EXPECT_EQ(in(0xcfc, 4), 0xffff'ffffu);
}

TEST_F(PciFixture, AddressRegisterNeedsDwordAccess)
{
    out32(0xcf8, 0x8000'0800);
    EXPECT_EQ(in(0xcf8, 4), 0x8000'0800u);
    std::array<uint8_t, 1> byte { 0x01 };
    pio.write(0xcfb, byte); // Linux's type-1 probe pokes 0xcfb: not an address write
    EXPECT_EQ(in(0xcf8, 4), 0x8000'0800u);
}

TEST_F(PciFixture, ResetControlGoesToTheHook)
{
    std::array<uint8_t, 1> byte { 0x06 };
    pio.write(0xcf9, byte);
    EXPECT_EQ(resets, 1);
    EXPECT_EQ(reset_value, 0x06);
    EXPECT_EQ(in(0xcf8, 4), 0u); // the address register is untouched
}

TEST_F(PciFixture, DeviceIdsAndAssignedBars)
{
    auto device = std::make_shared<TestDevice>();
    auto slot = root.add_device(device);
    ASSERT_TRUE(slot);
    EXPECT_EQ(*slot, 1);
    EXPECT_EQ(cfg_read(1, 0x00), 0x5678'1234u);
    EXPECT_EQ(cfg_read(1, 0x08), 0xff00'0003u);
    EXPECT_EQ(cfg_read(1, 0x3c, 1), 11u);
    EXPECT_EQ(cfg_read(1, 0x3d, 1), 1u);
    EXPECT_EQ(cfg_read(1, 0x04, 2) & 7u, 7u);
    // BAR0 at the window start; the 64-bit BAR naturally aligned after it; I/O from 0xc000.
    EXPECT_EQ(cfg_read(1, 0x10), 0xc000'0000u);
    EXPECT_EQ(cfg_read(1, 0x18), 0xc001'0000u | pci::k_bar_memory_64 | pci::k_bar_prefetchable);
    EXPECT_EQ(cfg_read(1, 0x1c), 0u);
    EXPECT_EQ(cfg_read(1, 0x20), 0xc000u | pci::k_bar_io);
    EXPECT_EQ(mmio_read32(0xc000'0004), 0x04040404u);
    EXPECT_EQ(in(0xc001, 1), 0x41u);
}

TEST_F(PciFixture, BarSizingAndRelocation)
{
    auto device = std::make_shared<TestDevice>();
    ASSERT_TRUE(root.add_device(device, 3));
    // Sizing: decoding off, write all-ones, read the size mask back.
    cfg_write(3, 0x04, 0, 2);
    EXPECT_FALSE(device->bar_mapping(0));
    cfg_write(3, 0x10, 0xffff'ffff);
    EXPECT_EQ(cfg_read(3, 0x10), 0xffff'c000u);
    cfg_write(3, 0x18, 0xffff'ffff);
    cfg_write(3, 0x1c, 0xffff'ffff);
    EXPECT_EQ(cfg_read(3, 0x18), 0xffff'0000u | pci::k_bar_memory_64 | pci::k_bar_prefetchable);
    EXPECT_EQ(cfg_read(3, 0x1c), 0xffff'ffffu);
    cfg_write(3, 0x20, 0xffff'ffff);
    EXPECT_EQ(cfg_read(3, 0x20), 0xffff'ffe1u); // all 32 bits sized, as QEMU (SeaBIOS needs it)
    EXPECT_EQ(cfg_read(3, 0x24), 0u); // unused BAR reads 0: not implemented
    // Relocate BAR0 and the 64-bit BAR (above 4 GiB), then enable decoding.
    cfg_write(3, 0x10, 0xd000'0000);
    cfg_write(3, 0x18, 0x0000'0000);
    cfg_write(3, 0x1c, 0x0000'0010);
    cfg_write(3, 0x20, 0xd000);
    cfg_write(3, 0x04, pci::k_command_memory | pci::k_command_io, 2);
    EXPECT_EQ(device->bar_mapping(0), 0xd000'0000u);
    EXPECT_EQ(device->bar_mapping(2), 0x10'0000'0000u);
    EXPECT_EQ(mmio_read32(0xd000'0000), 0u);
    EXPECT_EQ(mmio_read32(0x10'0000'0000), 0x20202020u);
    EXPECT_EQ(mmio_read32(0xc000'0000), 0xffff'ffffu); // old range gone
    EXPECT_EQ(in(0xd002, 1), 0x42u);
    // Moving a live BAR re-registers it.
    cfg_write(3, 0x10, 0xd100'0000);
    EXPECT_EQ(device->bar_mapping(0), 0xd100'0000u);
    EXPECT_EQ(mmio_read32(0xd000'0000), 0xffff'ffffu);
    uint32_t value = 1;
    mmio.write(0xd100'0008, std::span(reinterpret_cast<uint8_t*>(&value), 4));
    EXPECT_EQ(device->last_write_offset, 8u);
    EXPECT_GT(device->remaps, 0);
}

TEST_F(PciFixture, ReadOnlyRegistersIgnoreWrites)
{
    ASSERT_TRUE(root.add_device(std::make_shared<TestDevice>()));
    cfg_write(1, 0x00, 0);
    EXPECT_EQ(cfg_read(1, 0x00), 0x5678'1234u);
    cfg_write(1, 0x3c, 5, 1);
    EXPECT_EQ(cfg_read(1, 0x3c, 1), 5u);
    cfg_write(1, 0x3d, 3, 1);
    EXPECT_EQ(cfg_read(1, 0x3d, 1), 1u);
}

TEST_F(PciFixture, CapabilityListWalk)
{
    ASSERT_TRUE(root.add_device(std::make_shared<TestDevice>(&router)));
    EXPECT_TRUE(cfg_read(1, 0x06, 2) & pci::k_status_capabilities);
    std::vector<uint8_t> ids;
    uint8_t pointer = static_cast<uint8_t>(cfg_read(1, 0x34, 1));
    for (int guard = 0; pointer && guard < 48; ++guard) {
        EXPECT_EQ(pointer % 4, 0);
        ids.push_back(static_cast<uint8_t>(cfg_read(1, pointer, 1)));
        pointer = static_cast<uint8_t>(cfg_read(1, static_cast<uint8_t>(pointer + 1), 1));
    }
    EXPECT_EQ(ids, (std::vector<uint8_t> { pci::k_cap_vendor, pci::k_cap_msix }));
}

TEST_F(PciFixture, MsixProgrammingReachesTheRouter)
{
    auto device = std::make_shared<TestDevice>(&router);
    ASSERT_TRUE(root.add_device(device));
    uint8_t cap = msix_capability(1);
    EXPECT_EQ(cfg_read(1, static_cast<uint8_t>(cap + 2), 2) & 0x7ff, 3u); // 4 vectors
    EXPECT_EQ(cfg_read(1, static_cast<uint8_t>(cap + 4)), 0x2000u);     // table in BAR0 at 0x2000
    EXPECT_EQ(cfg_read(1, static_cast<uint8_t>(cap + 8)), 0x3000u);
    Msix* msix = device->msix();
    ASSERT_NE(msix, nullptr);

    uint64_t table = 0xc000'0000 + 0x2000;
    auto write32 = [&](uint64_t address, uint32_t value) {
        mmio.write(address, std::span(reinterpret_cast<uint8_t*>(&value), 4));
    };
    EXPECT_EQ(mmio_read32(table + 12), 1u); // masked at reset
    // Program vector 1 while masked, then enable MSI-X and unmask.
    write32(table + 16, 0xfee0'1000);
    write32(table + 20, 0);
    write32(table + 24, 0x4041);
    cfg_write(1, static_cast<uint8_t>(cap + 2), Msix::k_control_enable, 2);
    EXPECT_TRUE(msix->enabled());
    // Raised while masked: pending, no eventfd write.
    msix->signal(1);
    EXPECT_EQ(mmio_read32(0xc000'0000 + 0x3000), 0b10u);
    EXPECT_EQ(msix->event(1).consume(), 0u);
    write32(table + 28, 0); // unmask: route set, irqfd attached, pending delivered
    uint32_t gsi = msix->gsi(1);
    ASSERT_TRUE(router.routes.contains(gsi));
    EXPECT_EQ(router.routes[gsi].address, 0xfee0'1000u);
    EXPECT_EQ(router.routes[gsi].data, 0x4041u);
    EXPECT_EQ(router.irqfds[gsi], msix->event(1).fd());
    EXPECT_EQ(msix->event(1).consume(), 1u);
    EXPECT_EQ(mmio_read32(0xc000'0000 + 0x3000), 0u);
    // Fast path.
    msix->signal(1);
    EXPECT_EQ(msix->event(1).consume(), 1u);
    // Function mask holds messages back.
    cfg_write(1, static_cast<uint8_t>(cap + 2), Msix::k_control_enable | Msix::k_control_function_mask, 2);
    msix->signal(1);
    EXPECT_EQ(msix->event(1).consume(), 0u);
    cfg_write(1, static_cast<uint8_t>(cap + 2), Msix::k_control_enable, 2);
    EXPECT_EQ(msix->event(1).consume(), 1u);
}

// KVM refuses some messages a guest can write into the table (a route it cannot deliver). Such a
// vector holds its messages back until the guest writes one it can, and however often the guest
// rewrites the entry, the host's log gets a bounded number of lines.
TEST_F(PciFixture, MsixMessagesKvmRefusesAreHeldBackAndLoggedBoundedly)
{
    auto device = std::make_shared<TestDevice>(&router);
    ASSERT_TRUE(root.add_device(device));
    uint8_t cap = msix_capability(1);
    Msix* msix = device->msix();
    uint64_t table = 0xc000'0000 + 0x2000;
    auto write32 = [&](uint64_t address, uint32_t value) {
        mmio.write(address, std::span(reinterpret_cast<uint8_t*>(&value), 4));
    };
    cfg_write(1, static_cast<uint8_t>(cap + 2), Msix::k_control_enable, 2);
    write32(table + 28, 0); // vector 1 unmasked
    router.refuse_routes = true;
    testing::internal::CaptureStderr();
    for (uint32_t data = 0; data < 100; ++data)
        write32(table + 24, data); // each a new message: a new route asked for
    std::string log = testing::internal::GetCapturedStderr();
    EXPECT_LE(std::count(log.begin(), log.end(), '\n'), 10) << log.substr(0, 400);
    msix->signal(1); // held back, pending
    EXPECT_EQ(msix->event(1).consume(), 0u);
    router.refuse_routes = false;
    write32(table + 24, 0x4041); // routed now: the held message goes out
    EXPECT_EQ(router.routes[msix->gsi(1)].data, 0x4041u);
    EXPECT_EQ(msix->event(1).consume(), 1u);
    msix->signal(1);
    EXPECT_EQ(msix->event(1).consume(), 1u);
}

TEST_F(PciFixture, MsixRejectsBadTableAccesses)
{
    auto device = std::make_shared<TestDevice>(&router);
    ASSERT_TRUE(root.add_device(device));
    uint16_t value = 0x1234;
    mmio.write(0xc000'2001, std::span(reinterpret_cast<uint8_t*>(&value), 2)); // unaligned, dropped
    EXPECT_EQ(mmio_read32(0xc000'2000), 0u);
}
