#include "char/terminal.h"

#include <unistd.h>

namespace vireo {

RawTerminal::RawTerminal(int fd, Signals signals)
    : m_fd(fd)
{
    if (!::isatty(fd) || ::tcgetattr(fd, &m_saved) < 0)
        return;
    termios raw = m_saved;
    // Like cfmakeraw, but keep output post-processing so the host's "\n" handling stays sane
    // for our own messages; the guest's bytes are written unchanged either way.
    raw.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    if (signals == Signals::Keep)
        raw.c_lflag |= ISIG;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (::tcsetattr(fd, TCSANOW, &raw) == 0)
        m_active = true;
}

RawTerminal::~RawTerminal()
{
    if (m_active)
        ::tcsetattr(m_fd, TCSANOW, &m_saved);
}

} // namespace vireo
