#include "kvm/reprotect_schedule.h"

#include <algorithm>

namespace vireo {

ReprotectSchedule::ReprotectSchedule(uint32_t period)
    : m_period(std::max<uint32_t>(period, 1))
{
}

bool ReprotectSchedule::next(std::span<const uint64_t> log, std::span<uint64_t> clear)
{
    const size_t words = std::min(log.size(), clear.size());
    bool any = false;
    for (size_t word = 0; word < clear.size(); ++word) {
        const bool in_stripe = word < words && word % m_period == m_phase;
        clear[word] = in_stripe ? log[word] : 0;
        any = any || clear[word] != 0;
    }
    m_phase = (m_phase + 1) % m_period;
    return any;
}

} // namespace vireo
