// virtio-input (keyboard, mouse, tablet): the configuration space answers, events in the
// guest's eventq buffers, the statusq LEDs, the pending-event bound, bad buffers; and the
// device behind the virtio-pci transport (its ids, its config through BAR 0).
#include <gtest/gtest.h>

#include <linux/input-event-codes.h>

#include <algorithm>
#include <cstring>

#include "bus/bus.h"
#include "devices/pci/pci_root.h"
#include "devices/virtio/input/evdev_keys.h"
#include "devices/virtio/input/virtio_input.h"
#include "devices/virtio/virtio_pci.h"
#include "devices/virtio/virtio_pci_regs.h"
#include "virtio_test_support.h"

using namespace vireo;
using namespace vireo::virtio_input;

namespace {

struct InputFixture : ::testing::Test {
    GuestMemory memory = test::make_guest_memory();
    test::MockDriverQueue eventq { memory, 64, 0x1000 };
    test::MockDriverQueue statusq { memory, 64, 0x40000 };
    test::DeviceHarness harness { memory, 2, VirtioInput::k_queue_size };
    VirtioInput tablet { tablet_profile() };
    VirtioInput keyboard { keyboard_profile() };
    VirtioInput mouse { mouse_profile() };

    void activate(VirtioInput& device)
    {
        eventq.configure(harness.queues[VirtioInput::k_event_queue]);
        statusq.configure(harness.queues[VirtioInput::k_status_queue]);
        ASSERT_TRUE(device.activate(harness.activation()));
    }
    // Posts `count` eventq buffers of one event each, as Linux's driver does; returns their addresses.
    std::vector<GuestAddress> post_event_buffers(VirtioInput& device, size_t count)
    {
        std::vector<GuestAddress> buffers;
        for (size_t i = 0; i < count; ++i) {
            buffers.push_back(eventq.alloc(k_input_event_size));
            eventq.add_chain({ { buffers.back(), k_input_event_size, true } });
        }
        device.queue_notify(VirtioInput::k_event_queue);
        return buffers;
    }
    InputEvent event_at(GuestAddress address) const
    {
        std::array<uint8_t, k_input_event_size> bytes {};
        EXPECT_TRUE(memory.read(address, bytes));
        return decode_input_event(bytes);
    }
};

// Reads the configuration space as a driver does: select and subsel written, size and the
// union read back.
struct ConfigAnswer {
    uint8_t size = 0;
    std::vector<uint8_t> bytes; // the union's first `size` bytes
};

ConfigAnswer query(VirtioInput& device, uint8_t select, uint8_t subsel)
{
    std::array<uint8_t, 1> value { select };
    device.write_config(0, value);
    value[0] = subsel;
    device.write_config(1, value);
    std::array<uint8_t, VirtioInput::k_config_size> config {};
    device.read_config(0, config);
    EXPECT_EQ(config[0], select);
    EXPECT_EQ(config[1], subsel);
    ConfigAnswer answer { config[2], {} };
    answer.bytes.assign(config.begin() + 8, config.begin() + 8 + answer.size);
    return answer;
}

std::string query_string(VirtioInput& device, uint8_t select)
{
    auto answer = query(device, select, 0);
    return std::string(answer.bytes.begin(), answer.bytes.end());
}

bool bit_set(const std::vector<uint8_t>& bitmap, uint16_t bit)
{
    return bit / 8 < bitmap.size() && (bitmap[bit / 8] >> (bit % 8)) & 1;
}

uint32_t le32(const std::vector<uint8_t>& bytes, size_t offset)
{
    uint32_t value = 0;
    std::memcpy(&value, bytes.data() + offset, 4);
    return value;
}

} // namespace

// ---- Configuration space ----

TEST_F(InputFixture, NamesAndIdsAreQemus)
{
    EXPECT_EQ(query_string(tablet, k_cfg_id_name), "QEMU Virtio Tablet");
    EXPECT_EQ(query_string(keyboard, k_cfg_id_name), "QEMU Virtio Keyboard");
    EXPECT_EQ(query_string(mouse, k_cfg_id_name), "QEMU Virtio Mouse");
    EXPECT_EQ(query(tablet, k_cfg_id_serial, 0).size, 0); // no serial= given

    auto ids = query(tablet, k_cfg_id_devids, 0);
    ASSERT_EQ(ids.size, 8);
    EXPECT_EQ(ids.bytes, (std::vector<uint8_t> { 0x06, 0, 0x27, 0x06, 3, 0, 1, 0 })); // virtual bus, 0627:0003 v1
}

TEST_F(InputFixture, SerialComesFromTheProfile)
{
    auto profile = keyboard_profile();
    profile.serial = "kbd-1";
    VirtioInput device { profile };
    EXPECT_EQ(query_string(device, k_cfg_id_serial), "kbd-1");
}

TEST_F(InputFixture, TabletEventBitsAndAbsInfo)
{
    EXPECT_EQ(query(tablet, k_cfg_ev_bits, EV_SYN).size, 0);
    auto keys = query(tablet, k_cfg_ev_bits, EV_KEY).bytes;
    EXPECT_TRUE(bit_set(keys, BTN_LEFT));
    EXPECT_TRUE(bit_set(keys, BTN_RIGHT));
    EXPECT_TRUE(bit_set(keys, BTN_MIDDLE));
    EXPECT_FALSE(bit_set(keys, KEY_A));
    EXPECT_EQ(keys.size(), BTN_MIDDLE / 8 + 1u);
    auto abs = query(tablet, k_cfg_ev_bits, EV_ABS).bytes;
    EXPECT_EQ(abs, (std::vector<uint8_t> { 0x03 })); // ABS_X, ABS_Y
    auto rel = query(tablet, k_cfg_ev_bits, EV_REL).bytes;
    EXPECT_TRUE(bit_set(rel, REL_WHEEL));
    EXPECT_FALSE(bit_set(rel, REL_X));

    for (int axis : { ABS_X, ABS_Y }) {
        auto info = query(tablet, k_cfg_abs_info, static_cast<uint8_t>(axis));
        ASSERT_EQ(info.size, 20) << int(axis);
        EXPECT_EQ(le32(info.bytes, 0), 0u);     // min
        EXPECT_EQ(le32(info.bytes, 4), 32767u); // max
        EXPECT_EQ(le32(info.bytes, 8), 0u);     // fuzz
        EXPECT_EQ(le32(info.bytes, 12), 0u);    // flat
    }
    EXPECT_EQ(query(tablet, k_cfg_abs_info, ABS_Z).size, 0);
}

TEST_F(InputFixture, KeyboardEventBits)
{
    auto keys = query(keyboard, k_cfg_ev_bits, EV_KEY).bytes;
    for (int code : { KEY_ESC, KEY_A, KEY_Z, KEY_ENTER, KEY_LEFTSHIFT, KEY_F12, KEY_UP, KEY_DELETE, KEY_LEFTMETA })
        EXPECT_TRUE(bit_set(keys, static_cast<uint16_t>(code))) << code;
    EXPECT_FALSE(bit_set(keys, BTN_LEFT));
    EXPECT_EQ(query(keyboard, k_cfg_ev_bits, EV_LED).bytes, (std::vector<uint8_t> { 0x07 })); // num, caps, scroll
    EXPECT_GT(query(keyboard, k_cfg_ev_bits, EV_REP).size, 0);                              // autorepeat
    EXPECT_EQ(query(keyboard, k_cfg_ev_bits, EV_REL).size, 0);
    EXPECT_EQ(query(keyboard, k_cfg_ev_bits, EV_ABS).size, 0);
}

TEST_F(InputFixture, MouseEventBits)
{
    auto rel = query(mouse, k_cfg_ev_bits, EV_REL).bytes;
    EXPECT_TRUE(bit_set(rel, REL_X));
    EXPECT_TRUE(bit_set(rel, REL_Y));
    EXPECT_TRUE(bit_set(rel, REL_WHEEL));
    EXPECT_TRUE(bit_set(query(mouse, k_cfg_ev_bits, EV_KEY).bytes, BTN_LEFT));
    EXPECT_EQ(query(mouse, k_cfg_ev_bits, EV_ABS).size, 0);
}

TEST_F(InputFixture, UnknownSelectsAnswerSizeZero)
{
    EXPECT_EQ(query(tablet, k_cfg_unset, 0).size, 0);
    EXPECT_EQ(query(tablet, 0x7f, 0).size, 0);
    EXPECT_EQ(query(tablet, k_cfg_id_name, 1).size, 0);
    EXPECT_EQ(query(tablet, k_cfg_prop_bits, 0).size, 0);
}

TEST_F(InputFixture, OnlySelectAndSubselAreWritable)
{
    std::array<uint8_t, 4> junk { 0xff, 0xff, 0xff, 0xff };
    tablet.write_config(2, junk); // size and reserved bytes
    auto answer = query(tablet, k_cfg_id_name, 0);
    EXPECT_EQ(answer.size, std::string("QEMU Virtio Tablet").size());
    // A two-byte write sets both.
    std::array<uint8_t, 2> both { k_cfg_abs_info, ABS_Y };
    tablet.write_config(0, both);
    std::array<uint8_t, 3> head {};
    tablet.read_config(0, head);
    EXPECT_EQ(head, (std::array<uint8_t, 3> { k_cfg_abs_info, ABS_Y, 20 }));
}

// ---- Events ----

TEST_F(InputFixture, ReportLandsInBuffersFollowedBySyn)
{
    activate(tablet);
    auto buffers = post_event_buffers(tablet, 8);
    std::array<InputEvent, 3> report { {
        { EV_ABS, ABS_X, 16384 },
        { EV_ABS, ABS_Y, 100 },
        { EV_KEY, BTN_LEFT, 1 },
    } };
    tablet.send(report);

    ASSERT_EQ(eventq.used_idx(), 4);
    for (uint16_t i = 0; i < 4; ++i)
        EXPECT_EQ(eventq.used(i).length, k_input_event_size);
    // struct virtio_input_event { le16 type; le16 code; le32 value; }
    EXPECT_EQ(eventq.read_bytes(buffers[0], 8), (std::vector<uint8_t> { 3, 0, 0, 0, 0x00, 0x40, 0, 0 }));
    EXPECT_EQ(event_at(buffers[1]), (InputEvent { EV_ABS, ABS_Y, 100 }));
    EXPECT_EQ(event_at(buffers[2]), (InputEvent { EV_KEY, BTN_LEFT, 1 }));
    EXPECT_EQ(event_at(buffers[3]), (InputEvent { EV_SYN, SYN_REPORT, 0 }));
    EXPECT_EQ(harness.interrupt.used[VirtioInput::k_event_queue], 1);
    EXPECT_EQ(tablet.pending_events(), 0u);
}

TEST_F(InputFixture, NegativeValuesKeepTheirSign)
{
    activate(mouse);
    auto buffers = post_event_buffers(mouse, 2);
    std::array<InputEvent, 1> report { { { EV_REL, REL_X, -5 } } };
    mouse.send(report);
    EXPECT_EQ(eventq.read_bytes(buffers[0], 8), (std::vector<uint8_t> { 2, 0, 0, 0, 0xfb, 0xff, 0xff, 0xff }));
}

TEST_F(InputFixture, EventsWaitForBuffers)
{
    activate(keyboard);
    std::array<InputEvent, 1> down { { { EV_KEY, KEY_A, 1 } } };
    keyboard.send(down);
    EXPECT_EQ(eventq.used_idx(), 0);
    EXPECT_EQ(keyboard.pending_events(), 2u);

    auto buffers = post_event_buffers(keyboard, 1);
    ASSERT_EQ(eventq.used_idx(), 1);
    EXPECT_EQ(event_at(buffers[0]), (InputEvent { EV_KEY, KEY_A, 1 }));
    buffers = post_event_buffers(keyboard, 1);
    ASSERT_EQ(eventq.used_idx(), 2);
    EXPECT_EQ(event_at(buffers[0]), (InputEvent { EV_SYN, SYN_REPORT, 0 }));
}

TEST_F(InputFixture, PendingEventsAreBoundedOldestReportsDropped)
{
    activate(keyboard);
    // 40 reports of two events: only the newest 32 fit in 64 pending events.
    for (int i = 0; i < 40; ++i) {
        std::array<InputEvent, 1> report { { { EV_KEY, KEY_A, i } } };
        keyboard.send(report);
    }
    EXPECT_EQ(keyboard.pending_events(), VirtioInput::k_max_pending_events);
    auto buffers = post_event_buffers(keyboard, 4);
    EXPECT_EQ(event_at(buffers[0]), (InputEvent { EV_KEY, KEY_A, 8 }));
    EXPECT_EQ(event_at(buffers[1]), (InputEvent { EV_SYN, SYN_REPORT, 0 }));
    EXPECT_EQ(event_at(buffers[2]), (InputEvent { EV_KEY, KEY_A, 9 }));
}

TEST_F(InputFixture, EventsWithoutADriverAreDropped)
{
    std::array<InputEvent, 1> report { { { EV_KEY, KEY_A, 1 } } };
    keyboard.send(report);
    EXPECT_EQ(keyboard.pending_events(), 0u);
    activate(keyboard);
    keyboard.send(report);
    EXPECT_EQ(keyboard.pending_events(), 2u);
    keyboard.reset();
    EXPECT_EQ(keyboard.pending_events(), 0u);
}

TEST_F(InputFixture, StatusQueueLedsAreRecorded)
{
    activate(keyboard);
    auto caps = encode_input_event({ EV_LED, LED_CAPSL, 1 });
    auto num = encode_input_event({ EV_LED, LED_NUML, 1 });
    auto other = encode_input_event({ EV_KEY, KEY_A, 1 });
    statusq.add_chain({ { statusq.alloc_with(caps), k_input_event_size, false } });
    statusq.add_chain({ { statusq.alloc_with(num), k_input_event_size, false } });
    statusq.add_chain({ { statusq.alloc_with(other), k_input_event_size, false } });
    keyboard.queue_notify(VirtioInput::k_status_queue);
    EXPECT_EQ(statusq.used_idx(), 3);
    EXPECT_EQ(statusq.used(0).length, 0u);
    EXPECT_EQ(keyboard.leds(), (1u << LED_CAPSL) | (1u << LED_NUML));
    EXPECT_EQ(harness.interrupt.used[VirtioInput::k_status_queue], 1);

    auto caps_off = encode_input_event({ EV_LED, LED_CAPSL, 0 });
    statusq.add_chain({ { statusq.alloc_with(caps_off), k_input_event_size, false } });
    keyboard.queue_notify(VirtioInput::k_status_queue);
    EXPECT_EQ(keyboard.leds(), 1u << LED_NUML);
}

// Regression: the status loop ran until the ring was empty, so a second vCPU making status
// buffers available as the device consumed them kept the event loop in one run for ever. A run
// takes at most a queue size of chains (QueueRun), then asks for another.
TEST_F(InputFixture, StatusRingKeptFullDoesNotKeepOneRunGoing)
{
    activate(keyboard);
    GuestAddress caps = statusq.alloc_with(encode_input_event({ EV_LED, LED_CAPSL, 1 }));
    for (int i = 0; i < 64; ++i)
        statusq.add_chain({ { caps, k_input_event_size, false } });
    test::RingRefiller vcpu(statusq);
    vcpu.start();

    keyboard.queue_notify(VirtioInput::k_status_queue);
    uint16_t first_run = statusq.used_idx();
    vcpu.stop();

    EXPECT_EQ(first_run, 64); // without the budget: until the refiller gives up (20000)
    EXPECT_EQ(harness.interrupt.renotified[VirtioInput::k_status_queue], 1);
    EXPECT_FALSE(harness.interrupt.needs_reset);
}

TEST_F(InputFixture, ShortStatusBufferIsConsumedAndIgnored)
{
    activate(keyboard);
    std::array<uint8_t, 4> partial { 0x11, 0, 1, 0 };
    statusq.add_chain({ { statusq.alloc_with(partial), 4, false } });
    keyboard.queue_notify(VirtioInput::k_status_queue);
    EXPECT_EQ(statusq.used_idx(), 1);
    EXPECT_EQ(keyboard.leds(), 0u);
    EXPECT_FALSE(harness.interrupt.needs_reset);
}

// ---- Bad buffers break the device, not the VMM ----

TEST_F(InputFixture, TooShortEventBufferBreaksOnlyTheDevice)
{
    activate(tablet);
    auto small = eventq.alloc(8);
    eventq.add_chain({ { small, 4, true } });
    tablet.queue_notify(VirtioInput::k_event_queue);
    std::array<InputEvent, 1> report { { { EV_ABS, ABS_X, 7 } } };
    tablet.send(report);

    EXPECT_TRUE(harness.interrupt.needs_reset);
    ASSERT_EQ(eventq.used_idx(), 1);
    EXPECT_EQ(eventq.used(0).length, 0u);
    EXPECT_EQ(eventq.read_bytes(small, 8), std::vector<uint8_t>(8, 0)); // nothing written
    // Later buffers are left alone until the driver resets the device.
    post_event_buffers(tablet, 2);
    EXPECT_EQ(eventq.used_idx(), 1);
    EXPECT_LE(tablet.pending_events(), VirtioInput::k_max_pending_events);

    // Another device goes on working.
    test::MockDriverQueue other_eventq { memory, 8, 0x80000 };
    test::DeviceHarness other { memory, 2, VirtioInput::k_queue_size };
    other_eventq.configure(other.queues[0]);
    ASSERT_TRUE(mouse.activate(other.activation()));
    auto buffer = other_eventq.alloc(8);
    other_eventq.add_chain({ { buffer, 8, true } });
    mouse.queue_notify(VirtioInput::k_event_queue);
    std::array<InputEvent, 0> nothing {};
    mouse.send(nothing);
    EXPECT_EQ(other_eventq.used_idx(), 1);
    EXPECT_FALSE(other.interrupt.needs_reset);
}

TEST_F(InputFixture, BufferOutsideGuestMemoryBreaksTheQueue)
{
    activate(keyboard);
    eventq.add_chain({ { 0x4000'0000, 8, true } }); // far beyond the 1 MiB of RAM
    keyboard.queue_notify(VirtioInput::k_event_queue);
    std::array<InputEvent, 1> report { { { EV_KEY, KEY_B, 1 } } };
    keyboard.send(report);

    EXPECT_TRUE(harness.interrupt.needs_reset);
    EXPECT_TRUE(harness.queues[VirtioInput::k_event_queue].broken());
    EXPECT_EQ(eventq.used_idx(), 0);
    EXPECT_EQ(keyboard.pending_events(), 2u); // kept, bounded, for a driver after the reset
}

TEST_F(InputFixture, ResetThenActivateWorksAgain)
{
    activate(tablet);
    eventq.add_chain({ { eventq.alloc(8), 2, true } });
    tablet.queue_notify(VirtioInput::k_event_queue);
    std::array<InputEvent, 0> nothing {};
    tablet.send(nothing);
    ASSERT_TRUE(harness.interrupt.needs_reset);

    tablet.reset();
    test::MockDriverQueue fresh { memory, 8, 0x80000 };
    test::DeviceHarness again { memory, 2, VirtioInput::k_queue_size };
    fresh.configure(again.queues[0]);
    ASSERT_TRUE(tablet.activate(again.activation()));
    auto buffer = fresh.alloc(8);
    fresh.add_chain({ { buffer, 8, true } });
    tablet.queue_notify(VirtioInput::k_event_queue);
    tablet.send(nothing);
    EXPECT_EQ(fresh.used_idx(), 1);
    EXPECT_FALSE(again.interrupt.needs_reset);
}

// ---- Key table ----

TEST(EvdevKeys, SetOneCodesToEvdev)
{
    EXPECT_EQ(evdev_key_code(PcKey { 0x01, false }), KEY_ESC);
    EXPECT_EQ(evdev_key_code(PcKey { 0x1e, false }), KEY_A);
    EXPECT_EQ(evdev_key_code(PcKey { 0x2a, false }), KEY_LEFTSHIFT);
    EXPECT_EQ(evdev_key_code(PcKey { 0x53, false }), KEY_KPDOT);
    EXPECT_EQ(evdev_key_code(PcKey { 0x56, false }), KEY_102ND);
    EXPECT_EQ(evdev_key_code(PcKey { 0x57, false }), KEY_F11);
    EXPECT_EQ(evdev_key_code(PcKey { 0x58, false }), KEY_F12);
    EXPECT_EQ(evdev_key_code(PcKey { 0x1c, true }), KEY_KPENTER);
    EXPECT_EQ(evdev_key_code(PcKey { 0x1d, true }), KEY_RIGHTCTRL);
    EXPECT_EQ(evdev_key_code(PcKey { 0x38, true }), KEY_RIGHTALT);
    EXPECT_EQ(evdev_key_code(PcKey { 0x48, true }), KEY_UP);
    EXPECT_EQ(evdev_key_code(PcKey { 0x53, true }), KEY_DELETE);
    EXPECT_EQ(evdev_key_code(PcKey { 0x5b, true }), KEY_LEFTMETA);
    EXPECT_EQ(evdev_key_code(PcKey { 0x5d, true }), KEY_COMPOSE);
    EXPECT_EQ(evdev_key_code(PcKey { 0x00, false }), std::nullopt);
    EXPECT_EQ(evdev_key_code(PcKey { 0x1e, true }), std::nullopt);
}

TEST(EvdevKeys, EveryKeyOfTheTableIsAdvertised)
{
    auto codes = evdev_keyboard_codes();
    EXPECT_TRUE(std::ranges::is_sorted(codes));
    EXPECT_EQ(std::ranges::adjacent_find(codes), codes.end());
    EXPECT_LT(codes.back(), 1024); // fits the 128-byte bitmap
}

// ---- Behind the PCI transport ----

TEST(VirtioInputPci, IdsAndConfigThroughTheBar)
{
    auto memory = test::make_guest_memory();
    Bus mmio { "mmio" };
    Bus pio { "pio" };
    test::FakeMsiRouter router;
    auto line = std::make_shared<test::FakeInterruptLine>();
    PciWindows windows { .mmio32_start = 0xc000'0000, .mmio32_end = 0xfec0'0000, .io_start = 0xc000, .io_end = 0x10000 };
    PciRoot root { mmio, pio, windows, {}, [line](uint8_t) { return IntxRoute { line, 10 }; } };
    auto device = std::make_shared<VirtioInput>(tablet_profile());
    auto transport = VirtioPciDevice::create(device, memory, router, nullptr, nullptr).value();
    uint8_t slot = root.add_device(transport).value();

    auto cfg = [&](uint16_t offset) {
        uint32_t value = 0;
        root.config_read(slot, 0, offset, std::span(reinterpret_cast<uint8_t*>(&value), 4));
        return value;
    };
    EXPECT_EQ(cfg(0), 0x1052'1af4u);         // virtio 1.2 §4.1.2: 0x1040 + 18
    EXPECT_EQ(cfg(8) >> 8, 0x09'80'00u);     // class: other input controller
    uint64_t device_cfg = *transport->bar_mapping(virtio_pci::k_bar) + virtio_pci::k_device_cfg_offset;
    std::array<uint8_t, 2> select { k_cfg_id_name, 0 };
    mmio.write(device_cfg, select);
    std::array<uint8_t, 1> size {};
    mmio.read(device_cfg + 2, size);
    EXPECT_EQ(size[0], std::string("QEMU Virtio Tablet").size());
    std::array<uint8_t, 4> name {};
    mmio.read(device_cfg + 8, name);
    EXPECT_EQ(std::string(name.begin(), name.end()), "QEMU");
}
