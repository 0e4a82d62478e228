#include "ui/qemu_key_event.h"

namespace vireo {

namespace {

uint32_t be32(std::span<const uint8_t> bytes)
{
    return (uint32_t { bytes[0] } << 24) | (uint32_t { bytes[1] } << 16) | (uint32_t { bytes[2] } << 8) | bytes[3];
}

} // namespace

QemuKeyEvent decode_qemu_key_event(std::span<const uint8_t, k_qemu_key_event_body> body)
{
    return QemuKeyEvent {
        .down = body[0] != 0 || body[1] != 0,
        .keysym = be32(body.subspan(2, 4)),
        .keycode = be32(body.subspan(6, 4)),
    };
}

std::optional<PcKey> pc_key_from_xt_keycode(uint32_t keycode)
{
    if (keycode == 0 || keycode == 0x80)
        return std::nullopt;
    if (keycode < 0x80)
        return PcKey { static_cast<uint8_t>(keycode), false };
    if (keycode < 0x100)
        return PcKey { static_cast<uint8_t>(keycode & 0x7f), true };
    if ((keycode >> 8) == 0xe0 && (keycode & 0xff) != 0 && (keycode & 0xff) < 0x80)
        return PcKey { static_cast<uint8_t>(keycode & 0x7f), true };
    return std::nullopt;
}

std::array<uint8_t, 16> qemu_key_event_acknowledgement()
{
    auto encoding = static_cast<uint32_t>(k_rfb_encoding_qemu_key_event);
    return {
        0, 0, 0, 1,             // FramebufferUpdate, padding, one rectangle
        0, 0, 0, 0, 0, 0, 0, 0, // x, y, width, height: nothing to draw
        static_cast<uint8_t>(encoding >> 24), static_cast<uint8_t>(encoding >> 16),
        static_cast<uint8_t>(encoding >> 8), static_cast<uint8_t>(encoding),
    };
}

} // namespace vireo
