#pragma once
// What a user-input front end (the VNC server) drives: the machine's keyboard and pointer,
// whichever devices stand behind them (InputRouter picks). Calls come from the event loop.
#include <cstdint>

#include "devices/legacy/ps2_input.h"

namespace vireo {

// One pointer event as a front end sees it: where the pointer is on the screen, how far it
// moved since the last event, the wheel and the buttons. Absolute devices take the position,
// relative ones the motion.
struct PointerEvent {
    int32_t x = 0;       // position in pixels, 0 at the left
    int32_t y = 0;       // 0 at the top
    uint32_t width = 0;  // the screen's size
    uint32_t height = 0;
    int32_t dx = 0;      // motion since the last event: right
    int32_t dy = 0;      // down
    int32_t wheel = 0;   // steps; > 0 towards the user (as Ps2Input's dz)
    uint8_t buttons = 0; // Ps2Button bits held
};

class UserInput {
public:
    virtual ~UserInput() = default;
    // A key (named by its set-1 code) went down (or repeats) or up.
    virtual void key_event(PcKey key, bool down) = 0;
    virtual void pointer_event(const PointerEvent& event) = 0;
};

} // namespace vireo
