// Where VNC's keys and pointer go: a virtio tablet over a virtio mouse over the PS/2 mouse, a
// virtio keyboard over the PS/2 keyboard; and the evdev reports each device gets.
#include <gtest/gtest.h>

#include <linux/input-event-codes.h>

#include "devices/input/input_reports.h"
#include "devices/input/input_router.h"
#include "devices/virtio/input/virtio_input.h"
#include "virtio_test_support.h"

using namespace vireo;

namespace {

class RecordingPs2 final : public Ps2Input {
public:
    void key_event(PcKey key, bool down) override { keys.emplace_back(key, down); }
    void mouse_event(int32_t dx, int32_t dy, int32_t dz, uint8_t buttons) override
    {
        mice.push_back({ dx, dy, dz, buttons });
    }
    std::vector<std::pair<PcKey, bool>> keys;
    std::vector<std::array<int32_t, 4>> mice;
};

// A virtio input device activated on its own rings, with buffers posted for its events.
struct ActiveInput {
    explicit ActiveInput(GuestMemory& memory, InputProfile profile, GuestAddress base)
        : eventq(memory, 64, base)
        , harness(memory, 2, VirtioInput::k_queue_size)
        , device(std::move(profile))
    {
        eventq.configure(harness.queues[VirtioInput::k_event_queue]);
        EXPECT_TRUE(device.activate(harness.activation()));
        for (int i = 0; i < 32; ++i) {
            buffers.push_back(eventq.alloc(k_input_event_size));
            eventq.add_chain({ { buffers.back(), k_input_event_size, true } });
        }
        device.queue_notify(VirtioInput::k_event_queue);
    }
    // The events the guest has received so far.
    std::vector<InputEvent> received() const
    {
        std::vector<InputEvent> events;
        for (uint16_t i = 0; i < eventq.used_idx(); ++i) {
            std::array<uint8_t, k_input_event_size> bytes {};
            auto raw = eventq.read_bytes(buffers[eventq.used(i).id], k_input_event_size);
            std::copy(raw.begin(), raw.end(), bytes.begin());
            events.push_back(decode_input_event(bytes));
        }
        return events;
    }
    test::MockDriverQueue eventq;
    test::DeviceHarness harness;
    VirtioInput device;
    std::vector<GuestAddress> buffers;
};

constexpr InputEvent k_syn { EV_SYN, SYN_REPORT, 0 };

PointerEvent at(int32_t x, int32_t y, uint8_t buttons = 0)
{
    return PointerEvent { .x = x, .y = y, .width = 640, .height = 480, .dx = 3, .dy = -2, .wheel = 0, .buttons = buttons };
}

} // namespace

TEST(InputRouter, WithoutVirtioDevicesEverythingGoesToPs2)
{
    RecordingPs2 ps2;
    InputRouter router;
    router.set_ps2(&ps2);
    router.key_event(PcKey { 0x1e, false }, true);
    router.pointer_event(PointerEvent { .dx = 4, .dy = -1, .wheel = 1, .buttons = k_ps2_left });
    ASSERT_EQ(ps2.keys.size(), 1u);
    EXPECT_EQ(ps2.keys[0], std::pair(PcKey { 0x1e, false }, true));
    ASSERT_EQ(ps2.mice.size(), 1u);
    EXPECT_EQ(ps2.mice[0], (std::array<int32_t, 4> { 4, -1, 1, k_ps2_left }));
}

TEST(InputRouter, TabletTakesThePointerFromPs2)
{
    auto memory = test::make_guest_memory();
    ActiveInput tablet(memory, tablet_profile(), 0x1000);
    RecordingPs2 ps2;
    InputRouter router;
    router.set_ps2(&ps2);
    router.add_virtio(tablet.device);

    router.pointer_event(at(639, 0, k_ps2_left));
    EXPECT_TRUE(ps2.mice.empty());
    EXPECT_EQ(tablet.received(), (std::vector<InputEvent> {
                                     { EV_ABS, ABS_X, 32767 },
                                     { EV_ABS, ABS_Y, 0 },
                                     { EV_KEY, BTN_LEFT, 1 },
                                     k_syn,
                                 }));
    // Keys still go to the PS/2 keyboard: there is no virtio keyboard.
    router.key_event(PcKey { 0x1e, false }, true);
    EXPECT_EQ(ps2.keys.size(), 1u);
}

TEST(InputRouter, TabletOverVirtioMouse)
{
    auto memory = test::make_guest_memory();
    ActiveInput mouse(memory, mouse_profile(), 0x1000);
    ActiveInput tablet(memory, tablet_profile(), 0x40000);
    InputRouter router;
    router.add_virtio(mouse.device);
    router.add_virtio(tablet.device);
    router.pointer_event(at(10, 10));
    EXPECT_TRUE(mouse.received().empty());
    EXPECT_EQ(tablet.received().size(), 3u);
}

TEST(InputRouter, VirtioMouseGetsRelativeMotion)
{
    auto memory = test::make_guest_memory();
    ActiveInput mouse(memory, mouse_profile(), 0x1000);
    RecordingPs2 ps2;
    InputRouter router;
    router.set_ps2(&ps2);
    router.add_virtio(mouse.device);

    router.pointer_event(at(100, 100, k_ps2_right));
    router.pointer_event(PointerEvent { .wheel = 1, .buttons = k_ps2_right }); // a step towards the user
    router.pointer_event(PointerEvent {});                                      // release, no motion
    EXPECT_TRUE(ps2.mice.empty());
    EXPECT_EQ(mouse.received(), (std::vector<InputEvent> {
                                    { EV_REL, REL_X, 3 },
                                    { EV_REL, REL_Y, -2 },
                                    { EV_KEY, BTN_RIGHT, 1 },
                                    k_syn,
                                    { EV_REL, REL_WHEEL, -1 },
                                    k_syn,
                                    { EV_KEY, BTN_RIGHT, 0 },
                                    k_syn,
                                }));
}

TEST(InputRouter, VirtioKeyboardTakesKeysAsEvdevCodes)
{
    auto memory = test::make_guest_memory();
    ActiveInput keyboard(memory, keyboard_profile(), 0x1000);
    RecordingPs2 ps2;
    InputRouter router;
    router.set_ps2(&ps2);
    router.add_virtio(keyboard.device);

    router.key_event(PcKey { 0x1e, false }, true);  // A
    router.key_event(PcKey { 0x1e, false }, false);
    router.key_event(PcKey { 0x48, true }, true);   // Up (E0 48)
    router.key_event(PcKey { 0x7f, true }, true);   // no evdev code: dropped
    router.pointer_event(at(1, 1));                 // the pointer stays on PS/2
    EXPECT_TRUE(ps2.keys.empty());
    EXPECT_EQ(ps2.mice.size(), 1u);
    EXPECT_EQ(keyboard.received(), (std::vector<InputEvent> {
                                       { EV_KEY, KEY_A, 1 },
                                       k_syn,
                                       { EV_KEY, KEY_A, 0 },
                                       k_syn,
                                       { EV_KEY, KEY_UP, 1 },
                                       k_syn,
                                   }));
}

TEST(InputReports, TabletScaling)
{
    EXPECT_EQ(scale_to_tablet(0, 640), 0);
    EXPECT_EQ(scale_to_tablet(639, 640), 32767);
    EXPECT_EQ(scale_to_tablet(320, 640), 320 * 32767 / 639);
    EXPECT_EQ(scale_to_tablet(-5, 640), 0);       // clamped
    EXPECT_EQ(scale_to_tablet(5000, 640), 32767); // clamped
    EXPECT_EQ(scale_to_tablet(7, 0), 0);          // no screen
}

TEST(InputReports, OnlyChangedButtonsAreReported)
{
    auto held = tablet_report(at(0, 0, k_ps2_left | k_ps2_middle), k_ps2_left);
    EXPECT_EQ(held, (std::vector<InputEvent> {
                        { EV_ABS, ABS_X, 0 },
                        { EV_ABS, ABS_Y, 0 },
                        { EV_KEY, BTN_MIDDLE, 1 },
                    }));
    auto wheel_up = mouse_report(PointerEvent { .wheel = -1 }, 0);
    EXPECT_EQ(wheel_up, (std::vector<InputEvent> { { EV_REL, REL_WHEEL, 1 } }));
    EXPECT_TRUE(mouse_report(PointerEvent {}, 0).empty());
}
