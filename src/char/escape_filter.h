#pragma once
// QEMU's console escape keys on a multiplexed stdio (-nographic, -serial mon:stdio):
// Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A c switches the terminal between the serial
// console and the human monitor, Ctrl-A Ctrl-A sends one Ctrl-A on. Other Ctrl-A sequences
// are swallowed. Pure logic, so it is unit-tested without a terminal.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vireo {

class EscapeFilter {
public:
    enum class Command { None, Quit, Help, SwitchFocus };
    static constexpr uint8_t k_escape = 0x01; // Ctrl-A

    struct Output {
        std::vector<uint8_t> to_guest; // to whichever has the terminal
        Command command = Command::None;
        size_t consumed = 0; // input bytes taken, up to and including the command's
    };

    // Filters typed bytes; stops after the first command (feed the rest again).
    Output feed(std::span<const uint8_t> input);

    static std::string help_text();

private:
    bool m_after_escape = false;
};

} // namespace vireo
