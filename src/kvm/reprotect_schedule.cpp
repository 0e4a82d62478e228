#include "kvm/reprotect_schedule.h"

#include <algorithm>

namespace vireo {

ReprotectSchedule::ReprotectSchedule(size_t words, uint32_t period)
    : m_period(std::max<uint32_t>(period, 1))
    , m_hot(words, false)
    , m_protected_last(words, false)
{
}

bool ReprotectSchedule::next(std::span<const uint64_t> log, std::span<uint64_t> clear)
{
    std::ranges::fill(clear, 0);
    const size_t words = std::min({ log.size(), clear.size(), m_hot.size() });
    bool any = false;
    for (size_t word = 0; word < words; ++word) {
        const uint64_t named = log[word];
        if (named == 0) { // protected and not written since: cold
            m_hot[word] = m_protected_last[word] = false;
            continue;
        }
        if (m_protected_last[word]) // written again within one refresh of its protection
            m_hot[word] = true;
        const bool protect = !m_hot[word] || word % m_period == m_phase;
        m_protected_last[word] = protect;
        if (protect) {
            clear[word] = named;
            any = true;
        }
    }
    m_phase = (m_phase + 1) % m_period;
    return any;
}

} // namespace vireo
