#pragma once
// X keysyms (what a VNC client sends, RFC 6143 §7.5.4) to PC keys, named by their scan code
// set 1 make code: the keys a guest's layout then interprets. A keymap names the host user's
// layout the guest is configured with (-k, QEMU's default en-us): "z" on a German layout is
// the key at set-1 0x15, where en-us has "y".
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "devices/legacy/ps2_input.h"

namespace vireo {

class Keymap {
public:
    struct Entry {
        uint32_t keysym;
        PcKey key;
    };
    Keymap(std::string_view name, std::span<const Entry> own, const Keymap* base)
        : m_name(name)
        , m_own(own)
        , m_base(base)
    {
    }
    [[nodiscard]] std::string_view name() const { return m_name; }
    // The key that types `keysym` (its shifted and AltGr forms included: the client sends the
    // modifiers as keys of their own); nothing for a keysym the layout has no key for.
    [[nodiscard]] std::optional<PcKey> lookup(uint32_t keysym) const;

private:
    std::string_view m_name;
    std::span<const Entry> m_own; // looked at first
    const Keymap* m_base;         // then the layout this one differs from
};

// The keymap named as -k names it ("en-us", "de"), or nothing.
[[nodiscard]] const Keymap* find_keymap(std::string_view name);
// The names find_keymap knows, for messages.
[[nodiscard]] std::span<const std::string_view> keymap_names();

} // namespace vireo
