#include "devices/input/input_router.h"

#include "base/log.h"
#include "devices/input/input_reports.h"
#include "devices/virtio/input/virtio_input.h"

namespace vireo {

void InputRouter::add_virtio(VirtioInput& device)
{
    VirtioInput** slot = nullptr;
    switch (device.kind()) {
    case InputKind::Keyboard:
        slot = &m_keyboard;
        break;
    case InputKind::Mouse:
        slot = &m_mouse;
        break;
    case InputKind::Tablet:
        slot = &m_tablet;
        break;
    }
    if (!*slot)
        *slot = &device;
}

void InputRouter::key_event(PcKey key, bool down)
{
    if (m_keyboard) {
        auto events = key_report(key, down);
        if (events.empty()) {
            VIREO_GUEST_DEBUG("input: key {:#x}{} has no evdev code", key.code, key.extended ? " (E0)" : "");
            return;
        }
        m_keyboard->send(events);
    } else if (m_ps2) {
        m_ps2->key_event(key, down);
    }
}

void InputRouter::pointer_event(const PointerEvent& event)
{
    if (m_tablet || m_mouse) {
        auto events = m_tablet ? tablet_report(event, m_buttons) : mouse_report(event, m_buttons);
        m_buttons = event.buttons;
        if (!events.empty())
            (m_tablet ? m_tablet : m_mouse)->send(events);
    } else if (m_ps2) {
        m_ps2->mouse_event(event.dx, event.dy, event.wheel, event.buttons);
    }
}

} // namespace vireo
