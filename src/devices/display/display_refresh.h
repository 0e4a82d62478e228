#pragma once
// The display's refresh on the event loop: while a consumer (the VNC server) is attached, a
// timer asks the display source for an update every `period` and hands it on when something
// changed. Without a consumer there is no timer and nothing is rendered.
#include <chrono>
#include <cstdint>
#include <memory>

#include "base/event_loop.h"
#include "base/result.h"
#include "base/timer_fd.h"
#include "devices/display/display_surface.h"

namespace vireo {

class DisplayRefresh {
public:
    static constexpr std::chrono::milliseconds k_default_period { 30 };

    [[nodiscard]] static Result<std::unique_ptr<DisplayRefresh>> create(EventLoop& loop, DisplaySource& source,
        std::chrono::milliseconds period = k_default_period);
    ~DisplayRefresh();
    DisplayRefresh(const DisplayRefresh&) = delete;
    DisplayRefresh& operator=(const DisplayRefresh&) = delete;

    [[nodiscard]] DisplaySource& source() { return m_source; }
    // Attaches a consumer (null detaches it and stops the timer). Its first update comes with
    // `resized` set, so it takes the whole surface. Loop thread only.
    [[nodiscard]] Result<void> set_consumer(DisplayConsumer* consumer);
    // One refresh now (the timer's work; tests call it directly).
    void refresh();

private:
    DisplayRefresh(EventLoop& loop, DisplaySource& source, TimerFd timer, std::chrono::milliseconds period)
        : m_loop(loop)
        , m_source(source)
        , m_timer(std::move(timer))
        , m_period(period)
    {
    }
    [[nodiscard]] static uint64_t now_ms();

    EventLoop& m_loop;
    DisplaySource& m_source;
    TimerFd m_timer;
    std::chrono::milliseconds m_period;
    DisplayConsumer* m_consumer = nullptr;
    bool m_watching = false;
    bool m_announce = false; // the next update tells the consumer to take the whole surface
};

} // namespace vireo
