#pragma once
// Linux input events as virtio-input carries them (virtio 1.2 §5.8.6): struct virtio_input_event
// { le16 type; le16 code; le32 value; }, with the evdev type and code numbers of
// <linux/input-event-codes.h>, which the spec adopts as they are (included by the .cpp files that
// name codes, so its macros stay out of the headers).
#include <array>
#include <cstddef>
#include <cstdint>

namespace vireo {

struct InputEvent {
    uint16_t type = 0;
    uint16_t code = 0;
    int32_t value = 0;
    bool operator==(const InputEvent&) const = default;
};

constexpr size_t k_input_event_size = 8;

// The event's little-endian wire layout.
[[nodiscard]] constexpr std::array<uint8_t, k_input_event_size> encode_input_event(const InputEvent& event)
{
    auto value = static_cast<uint32_t>(event.value);
    return {
        static_cast<uint8_t>(event.type), static_cast<uint8_t>(event.type >> 8),
        static_cast<uint8_t>(event.code), static_cast<uint8_t>(event.code >> 8),
        static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8),
        static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 24),
    };
}

[[nodiscard]] constexpr InputEvent decode_input_event(const std::array<uint8_t, k_input_event_size>& bytes)
{
    return InputEvent {
        .type = static_cast<uint16_t>(bytes[0] | (bytes[1] << 8)),
        .code = static_cast<uint16_t>(bytes[2] | (bytes[3] << 8)),
        .value = static_cast<int32_t>(uint32_t { bytes[4] } | (uint32_t { bytes[5] } << 8)
            | (uint32_t { bytes[6] } << 16) | (uint32_t { bytes[7] } << 24)),
    };
}

} // namespace vireo
