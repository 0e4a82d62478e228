#pragma once
// The display's refresh on the event loop: while a consumer (the VNC server) is attached, a
// timer has the display source draw into the consumer's surface (DisplayConsumer::refresh_from). The
// timer runs every `period` while the screen changes; each refresh that finds nothing new
// doubles the wait, up to k_idle_period, so an idle guest with a client connected costs a
// look at its dirty log twice a second instead of thirty times; a change, or the user's input
// (nudge()), brings it back to `period`. Without a consumer there is no timer and nothing is
// rendered. While the consumer wants no frame (its clients are still taking the last one, or
// have not asked again), a refresh is skipped unless `unwatched_period` has passed since the
// last one: a guest that redraws all the time is drawn once per frame sent, not at every tick, and
// what a new client is first shown is at most that old. frame_wanted() brings the next refresh
// forward when a client asks.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "base/event_loop.h"
#include "base/result.h"
#include "base/timer_fd.h"
#include "devices/display/display_surface.h"

namespace vireo {

class DisplayRefresh {
public:
    static constexpr std::chrono::milliseconds k_default_period { 30 };
    static constexpr std::chrono::milliseconds k_idle_period { 500 };
    static constexpr std::chrono::milliseconds k_unwatched_period { 100 };

    [[nodiscard]] static Result<std::unique_ptr<DisplayRefresh>> create(EventLoop& loop, DisplaySource& source,
        std::chrono::milliseconds period = k_default_period,
        std::chrono::milliseconds unwatched_period = k_unwatched_period);
    ~DisplayRefresh();
    DisplayRefresh(const DisplayRefresh&) = delete;
    DisplayRefresh& operator=(const DisplayRefresh&) = delete;

    [[nodiscard]] DisplaySource& source() { return m_source; }
    // Attaches a consumer (null detaches it and stops the timer). Its first refresh draws
    // everything (Redraw::Everything) and comes with `resized` set, so it takes the whole
    // surface. Loop thread only.
    [[nodiscard]] Result<void> set_consumer(DisplayConsumer* consumer);
    // One refresh now (the timer's work; tests call it directly); sets the wait before the next.
    // Without a consumer it does nothing.
    void refresh();
    // The user typed or moved the pointer: the screen is likely to change soon, so the next
    // refresh comes within `period` again. Loop thread only.
    void nudge();
    // The consumer went from wanting no frame to wanting one: the next refresh comes now, or
    // `period` after the last one if that was sooner. Loop thread only.
    void frame_wanted();
    [[nodiscard]] std::chrono::milliseconds next_wait() const { return m_wait; }

private:
    DisplayRefresh(EventLoop& loop, DisplaySource& source, TimerFd timer, std::chrono::milliseconds period,
        std::chrono::milliseconds unwatched_period)
        : m_loop(loop)
        , m_source(source)
        , m_timer(std::move(timer))
        , m_period(period)
        , m_unwatched_period(unwatched_period)
        , m_wait(period)
    {
    }
    [[nodiscard]] static uint64_t now_ms();

    EventLoop& m_loop;
    DisplaySource& m_source;
    TimerFd m_timer;
    std::chrono::milliseconds m_period;
    std::chrono::milliseconds m_unwatched_period;
    std::chrono::milliseconds m_wait; // before the next refresh: m_period, longer while idle
    DisplayConsumer* m_consumer = nullptr;
    std::optional<uint64_t> m_last_render_ms; // when refresh() last had the source draw
    bool m_watching = false;
    bool m_announce = false; // the next refresh draws everything and tells the consumer to take it all
};

} // namespace vireo
