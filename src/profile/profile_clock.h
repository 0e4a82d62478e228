#pragma once
// The exit profiler's clock, one per vCPU thread, read twice per exit, so it must cost nothing
// measurable. CLOCK_MONOTONIC is a vDSO read only where the kernel's clocksource allows it (tsc,
// kvm-clock); elsewhere (hpet, acpi_pm: the nested test host's kernel) it is a system call per
// read. So the clock reads the TSC (rdtsc, never a system call) and converts it to nanoseconds
// with a rate it measures itself: for its first k_calibration it answers from CLOCK_MONOTONIC,
// then it takes the TSC's rate over that span and goes on from the same point in time.
// Within one thread it never goes backwards (a TSC that differs between CPUs shows as a short
// stall, never as a negative time).
#include <time.h>
#include <x86intrin.h>

#include <algorithm>
#include <cstdint>

namespace vireo {

class ProfileClock {
public:
    static constexpr uint64_t k_calibration_ns = 20'000'000;

    [[nodiscard]] uint64_t now_ns()
    {
        uint64_t now = m_ns_per_tick_q32 ? tsc_ns() : calibrating_ns();
        m_last = std::max(m_last, now);
        return m_last;
    }
    [[nodiscard]] bool calibrated() const { return m_ns_per_tick_q32 != 0; }

    [[nodiscard]] static uint64_t monotonic_ns()
    {
        timespec now {};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
    }

private:
    uint64_t tsc_ns() const
    {
        uint64_t ticks = __rdtsc();
        uint64_t since = ticks > m_base_ticks ? ticks - m_base_ticks : 0;
        return m_base_ns + static_cast<uint64_t>((static_cast<unsigned __int128>(since) * m_ns_per_tick_q32) >> 32);
    }
    uint64_t calibrating_ns()
    {
        uint64_t ns = monotonic_ns();
        uint64_t ticks = __rdtsc();
        if (m_start_ns == 0) {
            m_start_ns = ns;
            m_start_ticks = ticks;
        } else if (ns - m_start_ns >= k_calibration_ns && ticks > m_start_ticks) {
            auto rate = (static_cast<unsigned __int128>(ns - m_start_ns) << 32) / (ticks - m_start_ticks);
            if (rate > 0 && rate < (static_cast<unsigned __int128>(1) << 40)) { // 1/256 to 256 ns a tick
                m_ns_per_tick_q32 = static_cast<uint64_t>(rate);
                m_base_ns = ns;
                m_base_ticks = ticks;
            }
        }
        return ns;
    }

    uint64_t m_ns_per_tick_q32 = 0; // 0 while calibrating
    uint64_t m_base_ns = 0;
    uint64_t m_base_ticks = 0;
    uint64_t m_start_ns = 0;
    uint64_t m_start_ticks = 0;
    uint64_t m_last = 0;
};

} // namespace vireo
