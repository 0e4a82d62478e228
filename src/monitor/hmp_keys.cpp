// sendkey's key names: QEMU's QKeyCode names (qapi/ui.json), each with its PC scan code set 1
// make code (IBM PC AT Technical Reference; 0xe0-prefixed keys are `extended`).
#include <array>
#include <charconv>
#include <optional>

#include "monitor/hmp_commands.h"

namespace vireo {

namespace {

struct KeyName {
    std::string_view name;
    PcKeyCode key;
};

constexpr PcKeyCode plain(uint8_t code)
{
    return PcKeyCode { code, false };
}

constexpr PcKeyCode extended(uint8_t code)
{
    return PcKeyCode { code, true };
}

constexpr std::array k_keys {
    KeyName { "esc", plain(0x01) }, KeyName { "1", plain(0x02) }, KeyName { "2", plain(0x03) },
    KeyName { "3", plain(0x04) }, KeyName { "4", plain(0x05) }, KeyName { "5", plain(0x06) },
    KeyName { "6", plain(0x07) }, KeyName { "7", plain(0x08) }, KeyName { "8", plain(0x09) },
    KeyName { "9", plain(0x0a) }, KeyName { "0", plain(0x0b) }, KeyName { "minus", plain(0x0c) },
    KeyName { "equal", plain(0x0d) }, KeyName { "backspace", plain(0x0e) }, KeyName { "tab", plain(0x0f) },
    KeyName { "q", plain(0x10) }, KeyName { "w", plain(0x11) }, KeyName { "e", plain(0x12) },
    KeyName { "r", plain(0x13) }, KeyName { "t", plain(0x14) }, KeyName { "y", plain(0x15) },
    KeyName { "u", plain(0x16) }, KeyName { "i", plain(0x17) }, KeyName { "o", plain(0x18) },
    KeyName { "p", plain(0x19) }, KeyName { "bracket_left", plain(0x1a) }, KeyName { "bracket_right", plain(0x1b) },
    KeyName { "ret", plain(0x1c) }, KeyName { "ctrl", plain(0x1d) }, KeyName { "a", plain(0x1e) },
    KeyName { "s", plain(0x1f) }, KeyName { "d", plain(0x20) }, KeyName { "f", plain(0x21) },
    KeyName { "g", plain(0x22) }, KeyName { "h", plain(0x23) }, KeyName { "j", plain(0x24) },
    KeyName { "k", plain(0x25) }, KeyName { "l", plain(0x26) }, KeyName { "semicolon", plain(0x27) },
    KeyName { "apostrophe", plain(0x28) }, KeyName { "grave_accent", plain(0x29) }, KeyName { "shift", plain(0x2a) },
    KeyName { "backslash", plain(0x2b) }, KeyName { "z", plain(0x2c) }, KeyName { "x", plain(0x2d) },
    KeyName { "c", plain(0x2e) }, KeyName { "v", plain(0x2f) }, KeyName { "b", plain(0x30) },
    KeyName { "n", plain(0x31) }, KeyName { "m", plain(0x32) }, KeyName { "comma", plain(0x33) },
    KeyName { "dot", plain(0x34) }, KeyName { "slash", plain(0x35) }, KeyName { "shift_r", plain(0x36) },
    KeyName { "kp_multiply", plain(0x37) }, KeyName { "asterisk", plain(0x37) }, KeyName { "alt", plain(0x38) },
    KeyName { "spc", plain(0x39) }, KeyName { "caps_lock", plain(0x3a) }, KeyName { "f1", plain(0x3b) },
    KeyName { "f2", plain(0x3c) }, KeyName { "f3", plain(0x3d) }, KeyName { "f4", plain(0x3e) },
    KeyName { "f5", plain(0x3f) }, KeyName { "f6", plain(0x40) }, KeyName { "f7", plain(0x41) },
    KeyName { "f8", plain(0x42) }, KeyName { "f9", plain(0x43) }, KeyName { "f10", plain(0x44) },
    KeyName { "num_lock", plain(0x45) }, KeyName { "scroll_lock", plain(0x46) }, KeyName { "kp_7", plain(0x47) },
    KeyName { "kp_8", plain(0x48) }, KeyName { "kp_9", plain(0x49) }, KeyName { "kp_subtract", plain(0x4a) },
    KeyName { "kp_4", plain(0x4b) }, KeyName { "kp_5", plain(0x4c) }, KeyName { "kp_6", plain(0x4d) },
    KeyName { "kp_add", plain(0x4e) }, KeyName { "kp_1", plain(0x4f) }, KeyName { "kp_2", plain(0x50) },
    KeyName { "kp_3", plain(0x51) }, KeyName { "kp_0", plain(0x52) }, KeyName { "kp_decimal", plain(0x53) },
    KeyName { "sysrq", plain(0x54) }, KeyName { "less", plain(0x56) }, KeyName { "f11", plain(0x57) },
    KeyName { "f12", plain(0x58) }, KeyName { "kp_enter", extended(0x1c) }, KeyName { "ctrl_r", extended(0x1d) },
    KeyName { "kp_divide", extended(0x35) }, KeyName { "print", extended(0x37) }, KeyName { "alt_r", extended(0x38) },
    KeyName { "home", extended(0x47) }, KeyName { "up", extended(0x48) }, KeyName { "pgup", extended(0x49) },
    KeyName { "left", extended(0x4b) }, KeyName { "right", extended(0x4d) }, KeyName { "end", extended(0x4f) },
    KeyName { "down", extended(0x50) }, KeyName { "pgdn", extended(0x51) }, KeyName { "insert", extended(0x52) },
    KeyName { "delete", extended(0x53) }, KeyName { "meta_l", extended(0x5b) }, KeyName { "meta_r", extended(0x5c) },
    KeyName { "menu", extended(0x5d) },
};

// "0x1c": a key by number, as QEMU's sendkey takes it (0x80 set: the 0xe0 prefix).
std::optional<PcKeyCode> key_by_number(std::string_view text)
{
    if (!text.starts_with("0x") || text.size() < 3)
        return std::nullopt;
    unsigned value = 0;
    auto digits = text.substr(2);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
    if (error != std::errc() || end != digits.data() + digits.size() || value == 0 || value > 0xff)
        return std::nullopt;
    return PcKeyCode { static_cast<uint8_t>(value & 0x7f), (value & 0x80) != 0 };
}

} // namespace

Result<std::vector<PcKeyCode>> parse_key_combination(std::string_view text)
{
    constexpr size_t k_max_keys = 16; // QEMU's sendkey limit
    std::vector<PcKeyCode> keys;
    while (true) {
        size_t dash = text.find('-');
        // A lone "-" key would be "minus"; a dash always separates.
        auto name = text.substr(0, dash);
        const KeyName* found = nullptr;
        for (const auto& key : k_keys) {
            if (key.name == name)
                found = &key;
        }
        if (found)
            keys.push_back(found->key);
        else if (auto number = key_by_number(name))
            keys.push_back(*number);
        else
            return make_error("invalid parameter: {}", name);
        if (keys.size() > k_max_keys)
            return make_error("too many keys");
        if (dash == std::string_view::npos)
            return keys;
        text = text.substr(dash + 1);
    }
}

} // namespace vireo
