#include "char/escape_filter.h"

namespace vireo {

EscapeFilter::Output EscapeFilter::feed(std::span<const uint8_t> input)
{
    Output output;
    for (uint8_t byte : input) {
        ++output.consumed;
        if (!m_after_escape) {
            if (byte == k_escape)
                m_after_escape = true;
            else
                output.to_guest.push_back(byte);
            continue;
        }
        m_after_escape = false;
        switch (byte) {
        case 'x':
        case 'X':
            output.command = Command::Quit;
            return output;
        case 'h':
        case 'H':
        case '?':
            output.command = Command::Help;
            return output;
        case 'c':
        case 'C':
            output.command = Command::SwitchFocus;
            return output;
        case k_escape:
            output.to_guest.push_back(k_escape);
            break;
        default:
            break; // unknown escape: swallowed, as QEMU does
        }
    }
    return output;
}

std::string EscapeFilter::help_text()
{
    return "\r\n"
           "C-a h    print this help\r\n"
           "C-a x    exit emulator\r\n"
           "C-a c    switch between console and monitor\r\n"
           "C-a C-a  sends C-a\r\n";
}

} // namespace vireo
