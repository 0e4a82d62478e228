#pragma once
// The human monitor's line editing on a byte stream (a socket or a terminal in raw mode):
// printable characters are echoed and collected, backspace (BS or DEL) rubs one out, CR, LF or
// CR LF ends the line, Ctrl-U clears it. Terminal escape sequences (arrow keys: ESC [ ...) are
// skipped. A line never grows past k_max_line: the characters beyond it are ignored (as
// QEMU's readline buffer does), so a client sending megabytes without a newline costs nothing.
// Pure logic, unit-tested without a socket.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vireo {

class LineEditor {
public:
    static constexpr size_t k_max_line = 4096;

    struct Output {
        std::string echo;               // what the client should see of its typing
        std::vector<std::string> lines; // lines completed, in order
    };

    [[nodiscard]] Output feed(std::string_view bytes);

private:
    enum class Escape { None, Started, Sequence };

    std::string m_line;
    Escape m_escape = Escape::None;
    bool m_after_cr = false; // a LF right after a CR ends nothing more
};

} // namespace vireo
