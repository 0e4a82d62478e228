#include "devices/input/input_reports.h"

#include <linux/input-event-codes.h>

#include <algorithm>
#include <array>

#include "devices/virtio/input/evdev_keys.h"
#include "devices/virtio/input/input_profile.h"

namespace vireo {

namespace {

struct ButtonCode {
    uint8_t bit;
    uint16_t code;
};
constexpr std::array<ButtonCode, 3> k_buttons { {
    { k_ps2_left, BTN_LEFT },
    { k_ps2_right, BTN_RIGHT },
    { k_ps2_middle, BTN_MIDDLE },
} };

void add_buttons_and_wheel(std::vector<InputEvent>& events, const PointerEvent& event, uint8_t held)
{
    for (const auto& button : k_buttons) {
        bool now = event.buttons & button.bit;
        if (now != static_cast<bool>(held & button.bit))
            events.push_back(InputEvent { .type = EV_KEY, .code = button.code, .value = now ? 1 : 0 });
    }
    // evdev's REL_WHEEL is positive when the wheel turns away from the user.
    if (event.wheel != 0)
        events.push_back(InputEvent { .type = EV_REL, .code = REL_WHEEL, .value = -event.wheel });
}

} // namespace

std::vector<InputEvent> key_report(PcKey key, bool down)
{
    auto code = evdev_key_code(key);
    if (!code)
        return {};
    // A repeated "down" stays 1: the guest repeats by itself (EV_REP) and ignores a down for
    // a key already down.
    return { InputEvent { .type = EV_KEY, .code = *code, .value = down ? 1 : 0 } };
}

int32_t scale_to_tablet(int32_t position, uint32_t size)
{
    if (size <= 1)
        return 0;
    int64_t clamped = std::clamp<int64_t>(position, 0, int64_t { size } - 1);
    return static_cast<int32_t>(clamped * k_tablet_abs_max / (int64_t { size } - 1));
}

std::vector<InputEvent> tablet_report(const PointerEvent& event, uint8_t held)
{
    std::vector<InputEvent> events {
        InputEvent { .type = EV_ABS, .code = ABS_X, .value = scale_to_tablet(event.x, event.width) },
        InputEvent { .type = EV_ABS, .code = ABS_Y, .value = scale_to_tablet(event.y, event.height) },
    };
    add_buttons_and_wheel(events, event, held);
    return events;
}

std::vector<InputEvent> mouse_report(const PointerEvent& event, uint8_t held)
{
    std::vector<InputEvent> events;
    if (event.dx != 0)
        events.push_back(InputEvent { .type = EV_REL, .code = REL_X, .value = event.dx });
    if (event.dy != 0)
        events.push_back(InputEvent { .type = EV_REL, .code = REL_Y, .value = event.dy });
    add_buttons_and_wheel(events, event, held);
    return events;
}

} // namespace vireo
