#include "ui/keymaps.h"

#include <array>

namespace vireo {

namespace {

using Entry = Keymap::Entry;

constexpr PcKey key(uint8_t code) { return PcKey { code, false }; }
constexpr PcKey ext(uint8_t code) { return PcKey { code, true }; }

// Keys every layout has where en-us has them: the function, editing, modifier and keypad keys
// (X11's keysymdef.h values), then en-us's own characters, unshifted and shifted.
constexpr Entry k_en_us[] = {
    { 0xff1b, key(0x01) }, // Escape
    { 0xff08, key(0x0e) }, // BackSpace
    { 0xff09, key(0x0f) }, // Tab
    { 0xfe20, key(0x0f) }, // ISO_Left_Tab (shift-tab)
    { 0xff0d, key(0x1c) }, // Return
    { 0xffe3, key(0x1d) }, // Control_L
    { 0xffe1, key(0x2a) }, // Shift_L
    { 0xffe2, key(0x36) }, // Shift_R
    { 0xffe9, key(0x38) }, // Alt_L
    { 0xffe7, key(0x38) }, // Meta_L
    { 0x0020, key(0x39) }, // space
    { 0xffe5, key(0x3a) }, // Caps_Lock
    { 0xffbe, key(0x3b) }, { 0xffbf, key(0x3c) }, { 0xffc0, key(0x3d) }, { 0xffc1, key(0x3e) }, // F1-F4
    { 0xffc2, key(0x3f) }, { 0xffc3, key(0x40) }, { 0xffc4, key(0x41) }, { 0xffc5, key(0x42) }, // F5-F8
    { 0xffc6, key(0x43) }, { 0xffc7, key(0x44) }, { 0xffc8, key(0x57) }, { 0xffc9, key(0x58) }, // F9-F12
    { 0xff7f, key(0x45) }, // Num_Lock
    { 0xff14, key(0x46) }, // Scroll_Lock
    { 0xffb7, key(0x47) }, { 0xff95, key(0x47) }, // KP_7, KP_Home
    { 0xffb8, key(0x48) }, { 0xff97, key(0x48) }, // KP_8, KP_Up
    { 0xffb9, key(0x49) }, { 0xff9a, key(0x49) }, // KP_9, KP_Prior
    { 0xffad, key(0x4a) },                        // KP_Subtract
    { 0xffb4, key(0x4b) }, { 0xff96, key(0x4b) }, // KP_4, KP_Left
    { 0xffb5, key(0x4c) }, { 0xff9d, key(0x4c) }, // KP_5, KP_Begin
    { 0xffb6, key(0x4d) }, { 0xff98, key(0x4d) }, // KP_6, KP_Right
    { 0xffab, key(0x4e) },                        // KP_Add
    { 0xffb1, key(0x4f) }, { 0xff9c, key(0x4f) }, // KP_1, KP_End
    { 0xffb2, key(0x50) }, { 0xff99, key(0x50) }, // KP_2, KP_Down
    { 0xffb3, key(0x51) }, { 0xff9b, key(0x51) }, // KP_3, KP_Next
    { 0xffb0, key(0x52) }, { 0xff9e, key(0x52) }, // KP_0, KP_Insert
    { 0xffae, key(0x53) }, { 0xff9f, key(0x53) }, // KP_Decimal, KP_Delete
    { 0xffaa, key(0x37) },                        // KP_Multiply
    { 0xff8d, ext(0x1c) },                        // KP_Enter
    { 0xffe4, ext(0x1d) },                        // Control_R
    { 0xffaf, ext(0x35) },                        // KP_Divide
    { 0xff61, ext(0x37) },                        // Print
    { 0xffea, ext(0x38) }, { 0xfe03, ext(0x38) }, // Alt_R, ISO_Level3_Shift (AltGr)
    { 0xffe8, ext(0x38) },                        // Meta_R
    { 0xff50, ext(0x47) },                        // Home
    { 0xff52, ext(0x48) },                        // Up
    { 0xff55, ext(0x49) },                        // Prior
    { 0xff51, ext(0x4b) },                        // Left
    { 0xff53, ext(0x4d) },                        // Right
    { 0xff57, ext(0x4f) },                        // End
    { 0xff54, ext(0x50) },                        // Down
    { 0xff56, ext(0x51) },                        // Next
    { 0xff63, ext(0x52) },                        // Insert
    { 0xffff, ext(0x53) },                        // Delete
    { 0xffeb, ext(0x5b) }, { 0xffec, ext(0x5c) }, // Super_L, Super_R
    { 0xff67, ext(0x5d) },                        // Menu
    // The en-us characters.
    { '1', key(0x02) }, { '!', key(0x02) }, { '2', key(0x03) }, { '@', key(0x03) },
    { '3', key(0x04) }, { '#', key(0x04) }, { '4', key(0x05) }, { '$', key(0x05) },
    { '5', key(0x06) }, { '%', key(0x06) }, { '6', key(0x07) }, { '^', key(0x07) },
    { '7', key(0x08) }, { '&', key(0x08) }, { '8', key(0x09) }, { '*', key(0x09) },
    { '9', key(0x0a) }, { '(', key(0x0a) }, { '0', key(0x0b) }, { ')', key(0x0b) },
    { '-', key(0x0c) }, { '_', key(0x0c) }, { '=', key(0x0d) }, { '+', key(0x0d) },
    { 'q', key(0x10) }, { 'w', key(0x11) }, { 'e', key(0x12) }, { 'r', key(0x13) }, { 't', key(0x14) },
    { 'y', key(0x15) }, { 'u', key(0x16) }, { 'i', key(0x17) }, { 'o', key(0x18) }, { 'p', key(0x19) },
    { '[', key(0x1a) }, { '{', key(0x1a) }, { ']', key(0x1b) }, { '}', key(0x1b) },
    { 'a', key(0x1e) }, { 's', key(0x1f) }, { 'd', key(0x20) }, { 'f', key(0x21) }, { 'g', key(0x22) },
    { 'h', key(0x23) }, { 'j', key(0x24) }, { 'k', key(0x25) }, { 'l', key(0x26) },
    { ';', key(0x27) }, { ':', key(0x27) }, { '\'', key(0x28) }, { '"', key(0x28) },
    { '`', key(0x29) }, { '~', key(0x29) }, { '\\', key(0x2b) }, { '|', key(0x2b) },
    { 'z', key(0x2c) }, { 'x', key(0x2d) }, { 'c', key(0x2e) }, { 'v', key(0x2f) }, { 'b', key(0x30) },
    { 'n', key(0x31) }, { 'm', key(0x32) },
    { ',', key(0x33) }, { '<', key(0x33) }, { '.', key(0x34) }, { '>', key(0x34) },
    { '/', key(0x35) }, { '?', key(0x35) },
};

// German (de, QWERTZ): the characters that sit elsewhere than on en-us, with the dead keys
// and the 102nd key (< > |) next to the left shift.
constexpr Entry k_de[] = {
    { 'y', key(0x2c) }, { 'z', key(0x15) },
    { '"', key(0x03) }, { 0xb2, key(0x03) },  // quotedbl, twosuperior
    { 0xa7, key(0x04) }, { 0xb3, key(0x04) }, // section, threesuperior
    { '&', key(0x07) }, { '/', key(0x08) }, { '{', key(0x08) }, { '(', key(0x09) }, { '[', key(0x09) },
    { ')', key(0x0a) }, { ']', key(0x0a) }, { '=', key(0x0b) }, { '}', key(0x0b) },
    { 0xdf, key(0x0c) }, { '?', key(0x0c) }, { '\\', key(0x0c) }, // ssharp
    { 0xfe51, key(0x0d) }, { 0xfe50, key(0x0d) },                 // dead_acute, dead_grave
    { '@', key(0x10) }, { 0x20ac, key(0x12) },                    // EuroSign
    { 0xfc, key(0x1a) }, { 0xdc, key(0x1a) },                     // udiaeresis
    { '+', key(0x1b) }, { '*', key(0x1b) }, { '~', key(0x1b) },
    { 0xf6, key(0x27) }, { 0xd6, key(0x27) },                     // odiaeresis
    { 0xe4, key(0x28) }, { 0xc4, key(0x28) },                     // adiaeresis
    { 0xfe52, key(0x29) }, { '^', key(0x29) }, { 0xb0, key(0x29) }, // dead_circumflex, degree
    { '#', key(0x2b) }, { '\'', key(0x2b) },
    { 0xb5, key(0x32) },                                          // mu
    { ';', key(0x33) }, { ':', key(0x34) }, { '-', key(0x35) }, { '_', key(0x35) },
    { '<', key(0x56) }, { '>', key(0x56) }, { '|', key(0x56) },
};

const Keymap k_en_us_map { "en-us", k_en_us, nullptr };
const Keymap k_de_map { "de", k_de, &k_en_us_map };

constexpr std::array<std::string_view, 2> k_names { "en-us", "de" };

// Upper-case Latin letters are their lower-case key (the client holds shift).
uint32_t fold_case(uint32_t keysym)
{
    if ((keysym >= 'A' && keysym <= 'Z') || (keysym >= 0xc0 && keysym <= 0xde && keysym != 0xd7))
        return keysym + 0x20;
    return keysym;
}

} // namespace

std::optional<PcKey> Keymap::lookup(uint32_t keysym) const
{
    keysym = fold_case(keysym);
    for (const Keymap* map = this; map; map = map->m_base) {
        for (const auto& entry : map->m_own) {
            if (entry.keysym == keysym)
                return entry.key;
        }
    }
    return std::nullopt;
}

const Keymap* find_keymap(std::string_view name)
{
    if (name == "en-us")
        return &k_en_us_map;
    if (name == "de")
        return &k_de_map;
    return nullptr;
}

std::span<const std::string_view> keymap_names()
{
    return k_names;
}

} // namespace vireo
