#pragma once
// QEMU's console escape keys on a multiplexed stdio (-nographic, -serial mon:stdio):
// Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A Ctrl-A sends one Ctrl-A to the guest.
// Other Ctrl-A sequences are swallowed. Pure logic, so it is unit-tested without a terminal.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vireo {

class EscapeFilter {
public:
    enum class Command { None, Quit, Help };
    static constexpr uint8_t k_escape = 0x01; // Ctrl-A

    struct Output {
        std::vector<uint8_t> to_guest;
        Command command = Command::None;
    };

    // Filters typed bytes; stops at the first command (the bytes after it are dropped).
    Output feed(std::span<const uint8_t> input);

    static std::string help_text();

private:
    bool m_after_escape = false;
};

} // namespace vireo
