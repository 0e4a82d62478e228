#pragma once
// Front-end input as evdev reports for a virtio keyboard, mouse or tablet (virtio 1.2 §5.8.6):
// pure functions, the device appends SYN_REPORT.
#include <cstdint>
#include <vector>

#include "devices/input/user_input.h"
#include "devices/virtio/input/evdev.h"

namespace vireo {

// EV_KEY for the key's evdev code (1 down, 0 up); empty for a key with no evdev code.
[[nodiscard]] std::vector<InputEvent> key_report(PcKey key, bool down);
// ABS_X/ABS_Y (the position scaled to 0..k_tablet_abs_max), then the buttons that changed
// since `held` and the wheel.
[[nodiscard]] std::vector<InputEvent> tablet_report(const PointerEvent& event, uint8_t held);
// REL_X/REL_Y for the motion (when there is some), then the changed buttons and the wheel.
[[nodiscard]] std::vector<InputEvent> mouse_report(const PointerEvent& event, uint8_t held);
// A position on an axis of `size` pixels as a tablet coordinate: 0 at the first pixel,
// k_tablet_abs_max at the last; clamped.
[[nodiscard]] int32_t scale_to_tablet(int32_t position, uint32_t size);

} // namespace vireo
