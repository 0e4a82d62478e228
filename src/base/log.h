#pragma once
// Logging to stderr. Warnings that a guest can provoke go through warn_ratelimited so a
// misbehaving guest cannot flood the host's log.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <fmt/core.h>

namespace vireo {

template<typename... Args>
void log_error(fmt::format_string<Args...> format, Args&&... args)
{
    fmt::print(stderr, "vireo: {}\n", fmt::format(format, std::forward<Args>(args)...));
}

template<typename... Args>
void log_warn(fmt::format_string<Args...> format, Args&&... args)
{
    fmt::print(stderr, "vireo: warning: {}\n", fmt::format(format, std::forward<Args>(args)...));
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
