#include "devices/virtio/input/evdev_keys.h"

#include <linux/input-event-codes.h>

#include <algorithm>
#include <array>
#include <span>

#include "devices/virtio/input/evdev.h"

namespace vireo {

namespace {

struct KeyEntry {
    uint8_t set1;
    uint16_t evdev;
};

// Set 1 codes without the E0 prefix. Linux numbered KEY_ESC (1) to KEY_KPDOT (83) after the
// XT keyboard's set 1 codes 0x01-0x53, so those are the identity; the rest are listed.
constexpr uint8_t k_last_identity = 0x53;
constexpr KeyEntry k_plain[] = {
    { 0x54, KEY_SYSRQ }, // Alt+Print Screen sends 0x54
    { 0x56, KEY_102ND }, // the ISO key between left shift and Z
    { 0x57, KEY_F11 },
    { 0x58, KEY_F12 },
    { 0x70, KEY_KATAKANAHIRAGANA },
    { 0x73, KEY_RO },
    { 0x79, KEY_HENKAN },
    { 0x7b, KEY_MUHENKAN },
    { 0x7d, KEY_YEN },
};

// Set 1 codes after an E0 prefix.
constexpr KeyEntry k_extended[] = {
    { 0x10, KEY_PREVIOUSSONG },
    { 0x19, KEY_NEXTSONG },
    { 0x1c, KEY_KPENTER },
    { 0x1d, KEY_RIGHTCTRL },
    { 0x20, KEY_MUTE },
    { 0x22, KEY_PLAYPAUSE },
    { 0x24, KEY_STOPCD },
    { 0x2e, KEY_VOLUMEDOWN },
    { 0x30, KEY_VOLUMEUP },
    { 0x35, KEY_KPSLASH },
    { 0x37, KEY_SYSRQ }, // Print Screen: Linux reports it as KEY_SYSRQ
    { 0x38, KEY_RIGHTALT },
    { 0x46, KEY_PAUSE }, // Ctrl+Break
    { 0x47, KEY_HOME },
    { 0x48, KEY_UP },
    { 0x49, KEY_PAGEUP },
    { 0x4b, KEY_LEFT },
    { 0x4d, KEY_RIGHT },
    { 0x4f, KEY_END },
    { 0x50, KEY_DOWN },
    { 0x51, KEY_PAGEDOWN },
    { 0x52, KEY_INSERT },
    { 0x53, KEY_DELETE },
    { 0x5b, KEY_LEFTMETA },
    { 0x5c, KEY_RIGHTMETA },
    { 0x5d, KEY_COMPOSE }, // the Menu key
    { 0x5e, KEY_POWER },
    { 0x5f, KEY_SLEEP },
    { 0x63, KEY_WAKEUP },
};

std::optional<uint16_t> lookup(std::span<const KeyEntry> table, uint8_t code)
{
    auto entry = std::ranges::find(table, code, &KeyEntry::set1);
    if (entry == table.end())
        return std::nullopt;
    return entry->evdev;
}

} // namespace

std::optional<uint16_t> evdev_key_code(PcKey key)
{
    if (key.extended)
        return lookup(k_extended, key.code);
    if (key.code >= 0x01 && key.code <= k_last_identity)
        return key.code;
    return lookup(k_plain, key.code);
}

std::vector<uint16_t> evdev_keyboard_codes()
{
    std::vector<uint16_t> codes;
    for (uint16_t code = 0x01; code <= k_last_identity; ++code)
        codes.push_back(code);
    for (const auto& entry : k_plain)
        codes.push_back(entry.evdev);
    for (const auto& entry : k_extended)
        codes.push_back(entry.evdev);
    std::ranges::sort(codes);
    auto duplicates = std::ranges::unique(codes);
    codes.erase(duplicates.begin(), duplicates.end());
    return codes;
}

} // namespace vireo
