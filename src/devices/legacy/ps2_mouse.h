#pragma once
// A PS/2 mouse behind the 8042's auxiliary port, as Linux's psmouse and firmware drive it: the
// command set of IBM's PS/2 mouse (reset, defaults, enable/disable reporting, sample rate,
// resolution, scaling, status, stream/remote/wrap modes, read data) and Microsoft's IntelliMouse
// extension (sample rates 200, 100, 80 in a row turn the ID into 3 and the packets into four
// bytes, the fourth the wheel's motion). Not thread-safe: the i8042 calls it under its lock.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vireo {

class Ps2Mouse {
public:
    static constexpr uint8_t k_ack = 0xfa;
    static constexpr uint8_t k_resend = 0xfe;
    static constexpr uint8_t k_self_test_passed = 0xaa;
    static constexpr uint8_t k_id_standard = 0x00;
    static constexpr uint8_t k_id_intellimouse = 0x03;

    // A byte from the host (controller command 0xD4): returns the mouse's reply bytes.
    [[nodiscard]] std::vector<uint8_t> command(uint8_t byte);
    // The user moved the mouse (dx right, dy down), turned the wheel (dz > 0: towards the user)
    // or changed the buttons (k_ps2_* bits): the movement packets to send, none while reporting
    // is off. Motion beyond a packet's 9-bit range is split over up to `max_packets` packets.
    [[nodiscard]] std::vector<uint8_t> motion(int32_t dx, int32_t dy, int32_t dz, uint8_t buttons,
        size_t max_packets);

    void reset();
    [[nodiscard]] uint8_t device_id() const { return m_id; }
    [[nodiscard]] bool reporting() const { return m_reporting; }
    [[nodiscard]] uint8_t sample_rate() const { return m_rate; }
    [[nodiscard]] uint8_t resolution() const { return m_resolution; }

private:
    void set_defaults();
    [[nodiscard]] size_t packet_size() const { return m_id == k_id_intellimouse ? 4 : 3; }
    void append_packet(std::vector<uint8_t>& out, int32_t dx, int32_t dy, int32_t dz, bool x_overflow,
        bool y_overflow) const;

    uint8_t m_id = k_id_standard;
    uint8_t m_rate = 100;      // samples per second
    uint8_t m_resolution = 2;  // 4 counts per mm
    bool m_scaling_2to1 = false;
    bool m_reporting = false;  // stream mode reports only after 0xF4
    bool m_remote = false;
    bool m_wrap = false;
    uint8_t m_buttons = 0;
    uint8_t m_argument_for = 0; // the command waiting for its argument byte (0xE8, 0xF3), or 0
    std::array<uint8_t, 3> m_last_rates {}; // the IntelliMouse knock
};

} // namespace vireo
