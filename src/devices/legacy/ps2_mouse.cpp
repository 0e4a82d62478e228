#include "devices/legacy/ps2_mouse.h"

#include <algorithm>
#include <utility>

namespace vireo {

namespace {

// Mouse commands.
constexpr uint8_t k_set_scaling_1to1 = 0xe6;
constexpr uint8_t k_set_scaling_2to1 = 0xe7;
constexpr uint8_t k_set_resolution = 0xe8;
constexpr uint8_t k_status_request = 0xe9;
constexpr uint8_t k_set_stream_mode = 0xea;
constexpr uint8_t k_read_data = 0xeb;
constexpr uint8_t k_reset_wrap_mode = 0xec;
constexpr uint8_t k_set_wrap_mode = 0xee;
constexpr uint8_t k_set_remote_mode = 0xf0;
constexpr uint8_t k_get_device_id = 0xf2;
constexpr uint8_t k_set_sample_rate = 0xf3;
constexpr uint8_t k_enable_reporting = 0xf4;
constexpr uint8_t k_disable_reporting = 0xf5;
constexpr uint8_t k_set_defaults = 0xf6;
constexpr uint8_t k_resend_command = 0xfe;
constexpr uint8_t k_reset = 0xff;

// Packet byte 0.
constexpr uint8_t k_always_one = 0x08;
constexpr uint8_t k_x_sign = 0x10;
constexpr uint8_t k_y_sign = 0x20;
constexpr uint8_t k_x_overflow = 0x40;
constexpr uint8_t k_y_overflow = 0x80;

constexpr int32_t k_min_delta = -256; // 9-bit two's complement
constexpr int32_t k_max_delta = 255;
constexpr int32_t k_max_wheel = 7;    // IntelliMouse: 4-bit Z

} // namespace

void Ps2Mouse::set_defaults()
{
    m_rate = 100;
    m_resolution = 2;
    m_scaling_2to1 = false;
    m_reporting = false;
    m_remote = false;
}

void Ps2Mouse::reset()
{
    set_defaults();
    m_id = k_id_standard;
    m_wrap = false;
    m_argument_for = 0;
    m_last_rates = {};
}

std::vector<uint8_t> Ps2Mouse::command(uint8_t byte)
{
    if (m_argument_for) {
        uint8_t command = std::exchange(m_argument_for, 0);
        if (command == k_set_resolution) {
            m_resolution = std::min<uint8_t>(byte, 3);
        } else {
            m_rate = byte;
            m_last_rates = { m_last_rates[1], m_last_rates[2], byte };
            if (m_last_rates == std::array<uint8_t, 3> { 200, 100, 80 })
                m_id = k_id_intellimouse;
        }
        return { k_ack };
    }
    if (m_wrap && byte != k_reset && byte != k_reset_wrap_mode)
        return { byte }; // wrap mode echoes
    switch (byte) {
    case k_set_scaling_1to1:
        m_scaling_2to1 = false;
        return { k_ack };
    case k_set_scaling_2to1:
        m_scaling_2to1 = true;
        return { k_ack };
    case k_set_resolution:
    case k_set_sample_rate:
        m_argument_for = byte;
        return { k_ack };
    case k_status_request: {
        // Byte 0: remote mode, reporting, 2:1 scaling, then left, middle, right.
        uint8_t status = static_cast<uint8_t>((m_remote ? 0x40 : 0) | (m_reporting ? 0x20 : 0)
            | (m_scaling_2to1 ? 0x10 : 0) | ((m_buttons & 0x01) << 2) | ((m_buttons & 0x04) >> 1)
            | ((m_buttons & 0x02) >> 1));
        return { k_ack, status, m_resolution, m_rate };
    }
    case k_set_stream_mode:
        m_remote = false;
        return { k_ack };
    case k_read_data: {
        std::vector<uint8_t> out { k_ack };
        append_packet(out, 0, 0, 0, false, false);
        return out;
    }
    case k_reset_wrap_mode:
        m_wrap = false;
        return { k_ack };
    case k_set_wrap_mode:
        m_wrap = true;
        return { k_ack };
    case k_set_remote_mode:
        m_remote = true;
        return { k_ack };
    case k_get_device_id:
        return { k_ack, m_id };
    case k_enable_reporting:
        m_reporting = true;
        return { k_ack };
    case k_disable_reporting:
        m_reporting = false;
        return { k_ack };
    case k_set_defaults:
        set_defaults();
        return { k_ack };
    case k_reset:
        reset();
        return { k_ack, k_self_test_passed, k_id_standard };
    case k_resend_command:
        return { k_ack };
    default:
        return { k_resend };
    }
}

void Ps2Mouse::append_packet(std::vector<uint8_t>& out, int32_t dx, int32_t dy, int32_t dz, bool x_overflow,
    bool y_overflow) const
{
    uint8_t first = static_cast<uint8_t>(k_always_one | (m_buttons & 0x07));
    if (dx < 0)
        first |= k_x_sign;
    if (dy < 0)
        first |= k_y_sign;
    if (x_overflow)
        first |= k_x_overflow;
    if (y_overflow)
        first |= k_y_overflow;
    out.push_back(first);
    out.push_back(static_cast<uint8_t>(dx & 0xff));
    out.push_back(static_cast<uint8_t>(dy & 0xff));
    if (packet_size() == 4)
        out.push_back(static_cast<uint8_t>(dz & 0x0f));
}

std::vector<uint8_t> Ps2Mouse::motion(int32_t dx, int32_t dy, int32_t dz, uint8_t buttons, size_t max_packets)
{
    std::vector<uint8_t> out;
    bool buttons_changed = (buttons & 0x07) != m_buttons;
    m_buttons = buttons & 0x07;
    if (!m_reporting || m_remote || m_wrap)
        return out;
    if (packet_size() == 3)
        dz = 0;
    // PS/2's Y axis points up, a screen's down.
    dy = -dy;
    bool first = true;
    while ((first && buttons_changed) || dx || dy || dz) {
        if (max_packets == 0) {
            // Out of room: the last packet says the motion overflowed.
            if (!out.empty())
                out[out.size() - packet_size()] |= static_cast<uint8_t>((dx ? k_x_overflow : 0) | (dy ? k_y_overflow : 0));
            break;
        }
        int32_t step_x = std::clamp(dx, k_min_delta, k_max_delta);
        int32_t step_y = std::clamp(dy, k_min_delta, k_max_delta);
        int32_t step_z = std::clamp(dz, -k_max_wheel - 1, k_max_wheel);
        append_packet(out, step_x, step_y, step_z, false, false);
        dx -= step_x;
        dy -= step_y;
        dz -= step_z;
        --max_packets;
        first = false;
    }
    return out;
}

} // namespace vireo
