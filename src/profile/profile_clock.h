#pragma once
// The exit profiler's clock: CLOCK_MONOTONIC in nanoseconds. glibc serves it from the vDSO
// (no system call) when the kernel's clocksource allows it (tsc, kvm-clock, Hyper-V's TSC
// page); with another clocksource it falls back to the clock_gettime system call, which
// every spawned thread's filter already allows (sandbox/thread_runtime_filter.cpp).
#include <time.h>

#include <cstdint>

namespace vireo {

[[nodiscard]] inline uint64_t profile_clock_ns()
{
    timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

} // namespace vireo
