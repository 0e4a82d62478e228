#pragma once
// What a virtio input device says about itself through its configuration space (virtio 1.2
// §5.8.4): name, serial, bus ids, property bits, the event codes it sends per type and the
// range of each absolute axis. One profile per kind QEMU offers: virtio-keyboard, -mouse, -tablet.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace vireo {

enum class InputKind : uint8_t { Keyboard, Mouse, Tablet };

namespace virtio_input {

// virtio_input_config.select (§5.8.4).
constexpr uint8_t k_cfg_unset = 0x00;
constexpr uint8_t k_cfg_id_name = 0x01;
constexpr uint8_t k_cfg_id_serial = 0x02;
constexpr uint8_t k_cfg_id_devids = 0x03;
constexpr uint8_t k_cfg_prop_bits = 0x10;
constexpr uint8_t k_cfg_ev_bits = 0x11;
constexpr uint8_t k_cfg_abs_info = 0x12;

// The union u holds at most 128 bytes.
constexpr size_t k_cfg_payload_max = 128;

} // namespace virtio_input

// struct virtio_input_absinfo.
struct InputAbsInfo {
    uint32_t min = 0;
    uint32_t max = 0;
    uint32_t fuzz = 0;
    uint32_t flat = 0;
    uint32_t res = 0;
};

// struct virtio_input_devids.
struct InputDevIds {
    uint16_t bustype = 0;
    uint16_t vendor = 0;
    uint16_t product = 0;
    uint16_t version = 0;
};

struct InputProfile {
    InputKind kind = InputKind::Keyboard;
    std::string name;
    std::string serial; // empty: none (size 0), as QEMU without serial=
    InputDevIds ids;
    std::vector<uint8_t> prop_bits;
    std::map<uint8_t, std::vector<uint8_t>> ev_bits; // event type -> bitmap of its codes
    std::map<uint8_t, InputAbsInfo> abs_info;         // ABS_* axis -> its range

    // The union's bytes for `select`/`subsel` (at most 128); empty when the device has no
    // answer, which the driver reads as size 0 (§5.8.5.1).
    [[nodiscard]] std::vector<uint8_t> answer(uint8_t select, uint8_t subsel) const;
};

// A bitmap with bit n set for each code n (codes below 1024), as long as its highest set bit needs.
[[nodiscard]] std::vector<uint8_t> input_bitmap(std::span<const uint16_t> codes);

// QEMU's three devices: "QEMU Virtio Keyboard" (its keys, LEDs, autorepeat), "QEMU Virtio Mouse"
// (three buttons, X/Y motion, wheel), "QEMU Virtio Tablet" (three buttons, wheel, ABS_X/ABS_Y
// over 0..32767).
[[nodiscard]] InputProfile keyboard_profile();
[[nodiscard]] InputProfile mouse_profile();
[[nodiscard]] InputProfile tablet_profile();
// The range a tablet's axes report: a position scales to 0..k_tablet_abs_max.
constexpr uint32_t k_tablet_abs_max = 32767;

} // namespace vireo
