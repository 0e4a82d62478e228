#pragma once
// The human monitor's line editing on a byte stream (a socket or a terminal in raw mode):
// printable characters are echoed and collected, backspace (BS or DEL) rubs one out, CR, LF or
// CR LF ends the line, Ctrl-U clears it. Terminal escape sequences (arrow keys: ESC [ ...) are
// skipped. A line never grows past k_max_line: the characters beyond it are ignored (as
// QEMU's readline buffer does), so a client sending megabytes without a newline costs nothing.
// Pure logic, unit-tested without a socket.
#include <cstddef>
#include <string>
#include <optional>
#include <string_view>

namespace vireo {

class LineEditor {
public:
    static constexpr size_t k_max_line = 4096;

    struct Output {
        std::string echo;                // what the client should see of its typing
        std::optional<std::string> line; // a line completed
        size_t consumed = 0;             // bytes taken, up to the end of that line
    };

    // Takes bytes up to the end of the first line completed; feed the rest again (so that a
    // line's answer goes out before the echo of the next).
    [[nodiscard]] Output feed(std::string_view bytes);

private:
    enum class Escape { None, Started, Sequence };

    std::string m_line;
    Escape m_escape = Escape::None;
    bool m_after_cr = false; // a LF right after a CR ends nothing more
};

} // namespace vireo
