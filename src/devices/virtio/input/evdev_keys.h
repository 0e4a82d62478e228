#pragma once
// PC keys (named by their scan code set 1 make code, as the keymaps and the i8042 name them) to
// Linux evdev key codes, for a virtio keyboard (virtio 1.2 §5.8: events use evdev codes).
#include <cstdint>
#include <optional>
#include <vector>

#include "devices/legacy/ps2_input.h"

namespace vireo {

// The evdev KEY_* code of `key`, or nothing for a key the table does not know.
[[nodiscard]] std::optional<uint16_t> evdev_key_code(PcKey key);
// Every evdev code the table produces: the keys a virtio keyboard says it has (EV_KEY bits).
[[nodiscard]] std::vector<uint16_t> evdev_keyboard_codes();

} // namespace vireo
