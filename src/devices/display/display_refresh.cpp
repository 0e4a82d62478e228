#include "devices/display/display_refresh.h"

#include <sys/epoll.h>

#include <algorithm>
#include <utility>

namespace vireo {

Result<std::unique_ptr<DisplayRefresh>> DisplayRefresh::create(EventLoop& loop, DisplaySource& source,
    std::chrono::milliseconds period, std::chrono::milliseconds unwatched_period)
{
    auto timer = TRY(TimerFd::create());
    return std::unique_ptr<DisplayRefresh>(new DisplayRefresh(loop, source, std::move(timer), period, unwatched_period));
}

DisplayRefresh::~DisplayRefresh()
{
    if (m_watching)
        m_loop.remove(m_timer.fd());
}

uint64_t DisplayRefresh::now_ms()
{
    auto now = std::chrono::steady_clock::now().time_since_epoch();
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

Result<void> DisplayRefresh::set_consumer(DisplayConsumer* consumer)
{
    m_consumer = consumer;
    if (!consumer) {
        if (m_watching)
            m_loop.remove(m_timer.fd());
        m_watching = false;
        return {};
    }
    m_announce = true;
    m_wait = m_period;
    if (!m_watching) {
        TRY(m_loop.add(m_timer.fd(), EPOLLIN, [this](uint32_t) {
            m_timer.consume();
            refresh();
            if (m_consumer)
                m_timer.arm(m_wait);
        }));
        m_watching = true;
    }
    m_timer.arm(std::chrono::microseconds(1));
    return {};
}

void DisplayRefresh::refresh()
{
    if (!m_consumer)
        return; // nothing to draw into; the dirty log keeps what it has for the next consumer
    const uint64_t now = now_ms();
    const auto unwatched = static_cast<uint64_t>(m_unwatched_period.count());
    if (!m_announce && !m_consumer->wants_frame() && m_last_render_ms && now - *m_last_render_ms < unwatched)
        return; // the wait stays as it was
    const Redraw redraw = std::exchange(m_announce, false) ? Redraw::Everything : Redraw::Changes;
    m_last_render_ms = now;
    const bool changed = m_consumer->refresh_from(m_source, now, redraw);
    m_wait = changed ? m_period : std::min(m_wait * 2, std::max(k_idle_period, m_period));
}

void DisplayRefresh::frame_wanted()
{
    if (!m_consumer)
        return;
    const auto period = static_cast<uint64_t>(m_period.count());
    const uint64_t since = m_last_render_ms ? now_ms() - *m_last_render_ms : period;
    if (since >= period)
        m_timer.arm(std::chrono::microseconds(1));
    else
        m_timer.arm(std::chrono::milliseconds(period - since));
}

void DisplayRefresh::nudge()
{
    if (!m_consumer || m_wait == m_period)
        return;
    m_wait = m_period;
    m_timer.arm(m_period);
}

} // namespace vireo
