#include "monitor/line_editor.h"

namespace vireo {

namespace {

constexpr char k_escape = 0x1b;
constexpr char k_backspace = 0x08;
constexpr char k_delete = 0x7f;
constexpr char k_kill_line = 0x15; // Ctrl-U

bool printable(char byte)
{
    auto value = static_cast<unsigned char>(byte);
    return value >= 0x20 && value != 0x7f;
}

} // namespace

LineEditor::Output LineEditor::feed(std::string_view bytes)
{
    Output output;
    for (char byte : bytes) {
        ++output.consumed;
        bool after_cr = m_after_cr;
        m_after_cr = false;
        // ESC [ params final: a CSI sequence (ECMA-48 §5.4) ends with a byte in 0x40..0x7e;
        // ESC and any other byte is a two-byte sequence.
        if (m_escape == Escape::Started) {
            m_escape = byte == '[' || byte == 'O' ? Escape::Sequence : Escape::None;
            continue;
        }
        if (m_escape == Escape::Sequence) {
            if (byte >= 0x40 && byte <= 0x7e)
                m_escape = Escape::None;
            continue;
        }
        switch (byte) {
        case k_escape:
            m_escape = Escape::Started;
            break;
        case '\r':
        case '\n':
            if (byte == '\n' && after_cr)
                break;
            m_after_cr = byte == '\r';
            output.echo += "\r\n";
            output.line = std::move(m_line);
            m_line.clear();
            return output;
        case k_backspace:
        case k_delete:
            if (!m_line.empty()) {
                m_line.pop_back();
                output.echo += "\b \b";
            }
            break;
        case k_kill_line:
            for (size_t i = 0; i < m_line.size(); ++i)
                output.echo += "\b \b";
            m_line.clear();
            break;
        default:
            if (printable(byte) && m_line.size() < k_max_line) {
                m_line.push_back(byte);
                output.echo.push_back(byte);
            }
            break;
        }
    }
    return output;
}

} // namespace vireo
