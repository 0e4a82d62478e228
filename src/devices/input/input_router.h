#pragma once
// Where the user's keys and pointer go. The machine assembly fills it in (the i8042 from the
// legacy builder, virtio input devices from -device) and the VNC server drives it:
//   keys    -> the first virtio keyboard, else the PS/2 keyboard;
//   pointer -> the first virtio tablet (absolute: no drift between the client's pointer and the
//              guest's), else the first virtio mouse (relative), else the PS/2 mouse.
// Event-loop thread only; the devices it names belong to the machine and outlive it.
#include <cstdint>

#include "devices/input/user_input.h"

namespace vireo {

class VirtioInput;

class InputRouter final : public UserInput {
public:
    void set_ps2(Ps2Input* ps2) { m_ps2 = ps2; }
    // A virtio keyboard, mouse or tablet; the first of each kind takes its events.
    void add_virtio(VirtioInput& device);

    void key_event(PcKey key, bool down) override;
    void pointer_event(const PointerEvent& event) override;

private:
    Ps2Input* m_ps2 = nullptr;
    VirtioInput* m_keyboard = nullptr;
    VirtioInput* m_mouse = nullptr;
    VirtioInput* m_tablet = nullptr;
    uint8_t m_buttons = 0; // what the virtio pointer was last told was held
};

} // namespace vireo
