#include "devices/legacy/ps2_scancodes.h"

#include <array>
#include <cstddef>

namespace vireo::ps2 {

namespace {

constexpr uint8_t k_extended_prefix = 0xe0;
constexpr uint8_t k_break_prefix = 0xf0; // set 2
constexpr uint8_t k_break_bit = 0x80;    // set 1

// Set 1 make code -> set 2 make code, for the codes 0x00-0x5f (0: no key). The extended keys
// (E0-prefixed) share their set-1 code's set-2 code, with the same prefix.
constexpr std::array<uint8_t, 0x60> k_set1_to_set2 = {
    0x00, 0x76, 0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, // 00: -, Esc, 1..6
    0x3d, 0x3e, 0x46, 0x45, 0x4e, 0x55, 0x66, 0x0d, // 08: 7..0, -, =, BS, Tab
    0x15, 0x1d, 0x24, 0x2d, 0x2c, 0x35, 0x3c, 0x43, // 10: Q W E R T Y U I
    0x44, 0x4d, 0x54, 0x5b, 0x5a, 0x14, 0x1c, 0x1b, // 18: O P [ ] Enter LCtrl A S
    0x23, 0x2b, 0x34, 0x33, 0x3b, 0x42, 0x4b, 0x4c, // 20: D F G H J K L ;
    0x52, 0x0e, 0x12, 0x5d, 0x1a, 0x22, 0x21, 0x2a, // 28: ' ` LShift \ Z X C V
    0x32, 0x31, 0x3a, 0x41, 0x49, 0x4a, 0x59, 0x7c, // 30: B N M , . / RShift KP*
    0x11, 0x29, 0x58, 0x05, 0x06, 0x04, 0x0c, 0x03, // 38: LAlt Space Caps F1 F2 F3 F4 F5
    0x0b, 0x83, 0x0a, 0x01, 0x09, 0x77, 0x7e, 0x6c, // 40: F6 F7 F8 F9 F10 NumLock ScrollLock KP7
    0x75, 0x7d, 0x7b, 0x6b, 0x73, 0x74, 0x79, 0x69, // 48: KP8 KP9 KP- KP4 KP5 KP6 KP+ KP1
    0x72, 0x7a, 0x70, 0x71, 0x84, 0x00, 0x61, 0x78, // 50: KP2 KP3 KP0 KP. SysRq - 102nd F11
    0x07, 0x00, 0x00, 0x1f, 0x27, 0x2f, 0x00, 0x00, // 58: F12, -, -, (E0) LWin RWin Menu
};

// The controller's table, set 2 code -> set 1 code: the inverse of the one above. Set 2 codes
// no key of ours sends pass unchanged.
constexpr std::array<uint8_t, 256> make_translation()
{
    std::array<uint8_t, 256> table {};
    for (size_t i = 0; i < table.size(); ++i)
        table[i] = static_cast<uint8_t>(i);
    for (size_t code = 1; code < k_set1_to_set2.size(); ++code) {
        if (k_set1_to_set2[code])
            table[k_set1_to_set2[code]] = static_cast<uint8_t>(code);
    }
    return table;
}
constexpr std::array<uint8_t, 256> k_set2_to_set1 = make_translation();

} // namespace

std::vector<uint8_t> key_bytes(PcKey key, bool down, uint8_t set)
{
    std::vector<uint8_t> bytes;
    if (key.code == 0 || key.code >= k_set1_to_set2.size())
        return bytes;
    if (set == 1) {
        if (key.extended)
            bytes.push_back(k_extended_prefix);
        bytes.push_back(down ? key.code : static_cast<uint8_t>(key.code | k_break_bit));
        return bytes;
    }
    uint8_t code = k_set1_to_set2[key.code];
    if (code == 0)
        return bytes;
    if (key.extended)
        bytes.push_back(k_extended_prefix);
    if (!down)
        bytes.push_back(k_break_prefix);
    bytes.push_back(code);
    return bytes;
}

std::vector<uint8_t> translate_to_set1(const std::vector<uint8_t>& set2)
{
    std::vector<uint8_t> out;
    bool released = false;
    for (uint8_t byte : set2) {
        if (byte == k_break_prefix) {
            released = true;
            continue;
        }
        if (byte == k_extended_prefix || byte == 0xe1) {
            out.push_back(byte);
            continue;
        }
        uint8_t code = k_set2_to_set1[byte];
        out.push_back(released ? static_cast<uint8_t>(code | k_break_bit) : code);
        released = false;
    }
    return out;
}

} // namespace vireo::ps2
