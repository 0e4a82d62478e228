#pragma once
// What a user-input front end (the VNC server) drives: the PC's keyboard and mouse. The i8042
// implements it; calls come from the event loop's thread while vCPUs use the device.
#include <cstdint>

namespace vireo {

// A PC key: its scan code set 1 make code, with the 0xE0 prefix when `extended`.
struct PcKey {
    uint8_t code = 0;
    bool extended = false;
    bool operator==(const PcKey&) const = default;
};

// Mouse buttons as PS/2 reports them (byte 0 bits 0-2).
enum Ps2Button : uint8_t { k_ps2_left = 0x01, k_ps2_right = 0x02, k_ps2_middle = 0x04 };

class Ps2Input {
public:
    virtual ~Ps2Input() = default;
    // A key went down (or repeats) or up.
    virtual void key_event(PcKey key, bool down) = 0;
    // The mouse moved (dx right, dy down, as a screen's coordinates run), its wheel turned (dz
    // > 0: towards the user) and `buttons` (Ps2Button bits) are held.
    virtual void mouse_event(int32_t dx, int32_t dy, int32_t dz, uint8_t buttons) = 0;
};

} // namespace vireo
