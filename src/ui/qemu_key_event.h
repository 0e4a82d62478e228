#pragma once
// RFB's QEMU Extended Key Event (rfbproto "QEMU Extended Key Event Message" and the pseudo-encoding
// of the same name): a client that announces encoding -258 and is acknowledged may send, instead
// of keysyms, the scan code of the key the user pressed, so the guest's own layout applies and
// -k does not. Pure functions: the server reads the bytes, this file gives them meaning.
#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "devices/legacy/ps2_input.h"

namespace vireo {

constexpr int32_t k_rfb_encoding_qemu_key_event = -258;
constexpr uint8_t k_rfb_message_qemu = 255;      // client message type, then a submessage type
constexpr uint8_t k_rfb_qemu_submessage_key = 0; // the extended key event
// The key event's bytes after type and submessage: down-flag u16, keysym u32, keycode u32.
constexpr size_t k_qemu_key_event_body = 10;

struct QemuKeyEvent {
    bool down = false;
    uint32_t keysym = 0;  // may be 0 (the spec lets the client leave it out)
    uint32_t keycode = 0; // XT: the make code, 0xE0-prefixed keys with bit 7 set
};

[[nodiscard]] QemuKeyEvent decode_qemu_key_event(std::span<const uint8_t, k_qemu_key_event_body> body);

// The key an XT keycode names: codes below 0x80 as they are; 0x80-0xFF the 0xE0-prefixed key
// (rfbproto: "encoded with the high bit of the first byte set", E0 4D is 0xCD). 0xE0xx, as some
// clients send it before encoding, is taken too. Nothing for 0 (no keycode: use the keysym) or
// anything else.
[[nodiscard]] std::optional<PcKey> pc_key_from_xt_keycode(uint32_t keycode);

// The server's acknowledgement: a FramebufferUpdate with one empty rectangle in the
// pseudo-encoding (RFC 6143 §7.6.1 framing).
[[nodiscard]] std::array<uint8_t, 16> qemu_key_event_acknowledgement();

} // namespace vireo
