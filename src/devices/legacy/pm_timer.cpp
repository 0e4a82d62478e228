#include "devices/legacy/pm_timer.h"

#include <algorithm>

namespace vireo {

namespace {

std::chrono::nanoseconds monotonic_now()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch());
}

} // namespace

PmTimer::PmTimer(Clock clock)
    : m_clock(clock ? std::move(clock) : Clock(monotonic_now))
    , m_start(m_clock())
{
}

uint32_t PmTimer::value() const
{
    auto elapsed = static_cast<unsigned __int128>((m_clock() - m_start).count());
    return static_cast<uint32_t>(elapsed * k_frequency_hz / 1'000'000'000) & 0xff'ffff;
}

void PmTimer::read(uint64_t offset, std::span<uint8_t> data)
{
    std::ranges::fill(data, 0);
    uint32_t count = value();
    for (size_t i = 0; i < data.size(); ++i) {
        if (offset + i < k_register_length)
            data[i] = static_cast<uint8_t>(count >> (8 * (offset + i)));
    }
}

} // namespace vireo
