#include "devices/virtio/input/input_profile.h"

#include <linux/input-event-codes.h>

#include <algorithm>
#include <array>

#include "devices/virtio/input/evdev.h"
#include "devices/virtio/input/evdev_keys.h"

namespace vireo {

using namespace virtio_input;

namespace {

// The ids QEMU's virtio input devices report: a virtual bus, QEMU's vendor number, one product
// per kind.
constexpr uint16_t k_bus_virtual = 0x06; // BUS_VIRTUAL of <linux/input.h>
constexpr uint16_t k_qemu_vendor = 0x0627;
constexpr uint16_t k_product_keyboard = 1;
constexpr uint16_t k_product_mouse = 2;
constexpr uint16_t k_product_tablet = 3;

InputDevIds qemu_ids(uint16_t product)
{
    return InputDevIds { .bustype = k_bus_virtual, .vendor = k_qemu_vendor, .product = product, .version = 1 };
}

constexpr std::array<uint16_t, 3> k_buttons { BTN_LEFT, BTN_RIGHT, BTN_MIDDLE };

std::vector<uint8_t> string_bytes(const std::string& text)
{
    size_t length = std::min(text.size(), k_cfg_payload_max);
    return std::vector<uint8_t>(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(length));
}

template<typename T>
void put_le(std::vector<uint8_t>& out, T value)
{
    for (size_t i = 0; i < sizeof(T); ++i)
        out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

} // namespace

std::vector<uint8_t> input_bitmap(std::span<const uint16_t> codes)
{
    std::vector<uint8_t> bitmap;
    for (uint16_t code : codes) {
        size_t byte = code / 8;
        if (byte >= k_cfg_payload_max)
            continue;
        if (bitmap.size() <= byte)
            bitmap.resize(byte + 1, 0);
        bitmap[byte] = static_cast<uint8_t>(bitmap[byte] | (1u << (code % 8)));
    }
    return bitmap;
}

std::vector<uint8_t> InputProfile::answer(uint8_t select, uint8_t subsel) const
{
    switch (select) {
    case k_cfg_id_name:
        return subsel == 0 ? string_bytes(name) : std::vector<uint8_t> {};
    case k_cfg_id_serial:
        return subsel == 0 ? string_bytes(serial) : std::vector<uint8_t> {};
    case k_cfg_id_devids: {
        if (subsel != 0)
            return {};
        std::vector<uint8_t> out;
        put_le(out, ids.bustype);
        put_le(out, ids.vendor);
        put_le(out, ids.product);
        put_le(out, ids.version);
        return out;
    }
    case k_cfg_prop_bits:
        return subsel == 0 ? prop_bits : std::vector<uint8_t> {};
    case k_cfg_ev_bits: {
        auto bits = ev_bits.find(subsel);
        return bits == ev_bits.end() ? std::vector<uint8_t> {} : bits->second;
    }
    case k_cfg_abs_info: {
        auto info = abs_info.find(subsel);
        if (info == abs_info.end())
            return {};
        std::vector<uint8_t> out;
        put_le(out, info->second.min);
        put_le(out, info->second.max);
        put_le(out, info->second.fuzz);
        put_le(out, info->second.flat);
        put_le(out, info->second.res);
        return out;
    }
    default: // k_cfg_unset and anything unknown
        return {};
    }
}

InputProfile keyboard_profile()
{
    InputProfile profile;
    profile.kind = InputKind::Keyboard;
    profile.name = "QEMU Virtio Keyboard";
    profile.ids = qemu_ids(k_product_keyboard);
    auto keys = evdev_keyboard_codes();
    profile.ev_bits[EV_KEY] = input_bitmap(keys);
    constexpr std::array<uint16_t, 3> leds { LED_NUML, LED_CAPSL, LED_SCROLLL };
    profile.ev_bits[EV_LED] = input_bitmap(leds);
    // An EV_REP answer of any size tells Linux's driver the device repeats (the guest then
    // repeats held keys itself); there are no codes to list.
    profile.ev_bits[EV_REP] = { 0 };
    return profile;
}

InputProfile mouse_profile()
{
    InputProfile profile;
    profile.kind = InputKind::Mouse;
    profile.name = "QEMU Virtio Mouse";
    profile.ids = qemu_ids(k_product_mouse);
    profile.ev_bits[EV_KEY] = input_bitmap(k_buttons);
    constexpr std::array<uint16_t, 3> axes { REL_X, REL_Y, REL_WHEEL };
    profile.ev_bits[EV_REL] = input_bitmap(axes);
    return profile;
}

InputProfile tablet_profile()
{
    InputProfile profile;
    profile.kind = InputKind::Tablet;
    profile.name = "QEMU Virtio Tablet";
    profile.ids = qemu_ids(k_product_tablet);
    profile.ev_bits[EV_KEY] = input_bitmap(k_buttons);
    constexpr std::array<uint16_t, 1> wheel { REL_WHEEL };
    profile.ev_bits[EV_REL] = input_bitmap(wheel);
    constexpr std::array<uint16_t, 2> axes { ABS_X, ABS_Y };
    profile.ev_bits[EV_ABS] = input_bitmap(axes);
    profile.abs_info[ABS_X] = InputAbsInfo { .min = 0, .max = k_tablet_abs_max };
    profile.abs_info[ABS_Y] = InputAbsInfo { .min = 0, .max = k_tablet_abs_max };
    return profile;
}

} // namespace vireo
