#pragma once
// Logging to stderr. Warnings that a guest can provoke go through warn_ratelimited so a
// misbehaving guest cannot flood the host's log.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include <fmt/core.h>

namespace vireo {

// -msg timestamp=on: every line starts with the UTC time, as QEMU's do
// ("2023-05-01T12:00:00.123456Z vireo: ..."). This is the process's one logging setting and the
// one piece of global mutable state here: a logger object handed to every device, back end and
// thread would have to reach code that logs from deep inside (guest warnings, the sandbox's
// reports) for a single flag. It is set once in main(), before any thread starts, and only read
// after; an atomic all the same, so that no later set could ever be a data race.
inline std::atomic<bool>& log_timestamps_setting()
{
    static std::atomic<bool> enabled { false };
    return enabled;
}

inline void set_log_timestamps(bool enabled)
{
    log_timestamps_setting().store(enabled, std::memory_order_relaxed);
}

// The time prefix of a log line ("" without -msg timestamp=on). gmtime_r needs no time zone
// file, so it works on every thread under its seccomp filter (clock_gettime is in every list).
inline std::string log_line_prefix()
{
    if (!log_timestamps_setting().load(std::memory_order_relaxed))
        return {};
    timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    std::tm utc {};
    ::gmtime_r(&now.tv_sec, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                       utc.tm_hour, utc.tm_min, utc.tm_sec, now.tv_nsec / 1000);
}

template<typename... Args>
void log_error(fmt::format_string<Args...> format, Args&&... args)
{
    fmt::print(stderr, "{}vireo: {}\n", log_line_prefix(), fmt::format(format, std::forward<Args>(args)...));
}

template<typename... Args>
void log_warn(fmt::format_string<Args...> format, Args&&... args)
{
    fmt::print(stderr, "{}vireo: warning: {}\n", log_line_prefix(), fmt::format(format, std::forward<Args>(args)...));
}

// Debug messages (VIREO_DEBUG=1 in the environment): what a guest does that is harmless but
// worth seeing when something goes wrong, such as probing ports where nothing is.
inline bool debug_enabled()
{
    static const bool enabled = std::getenv("VIREO_DEBUG") != nullptr;
    return enabled;
}

// Allows a burst of messages, then one per interval; one instance per call site.
class RateLimit {
public:
    bool allow()
    {
        auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        auto last = m_window_start.load(std::memory_order_relaxed);
        if (now - last > k_window_ns) {
            m_window_start.store(now, std::memory_order_relaxed);
            m_count.store(0, std::memory_order_relaxed);
        }
        return m_count.fetch_add(1, std::memory_order_relaxed) < k_burst;
    }

private:
    static constexpr long long k_window_ns = 5'000'000'000;
    static constexpr int k_burst = 10;
    std::atomic<long long> m_window_start { 0 };
    std::atomic<int> m_count { 0 };
};

} // namespace vireo

// Rate-limited warning for conditions a guest can cause (an access to nothing, a bad descriptor).
#define VIREO_GUEST_WARN(...)                      \
    do {                                           \
        static ::vireo::RateLimit _rate_limit;     \
        if (_rate_limit.allow())                   \
            ::vireo::log_warn(__VA_ARGS__);        \
    } while (0)

// Rate-limited debug message for guest behaviour that is legal but unusual.
#define VIREO_GUEST_DEBUG(...)                     \
    do {                                           \
        if (::vireo::debug_enabled()) {            \
            static ::vireo::RateLimit _rate_limit; \
            if (_rate_limit.allow())               \
                ::vireo::log_warn(__VA_ARGS__);    \
        }                                          \
    } while (0)
