#pragma once
// When to write-protect a dirty-logged slot's pages again, with KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2
// (Documentation/virt/kvm/api.rst, 4.118 KVM_CLEAR_DIRTY_LOG). Without it, every KVM_GET_DIRTY_LOG
// write-protects each page it reports, so a framebuffer that the guest rewrites between two
// refreshes (a scrolling console: every page) costs one write fault per page per refresh, each a
// VM exit. With it, a written page stays writable, and its bit set, until vireo clears it.
//
// The schedule works on 64-page words of the log. A word named at a read is protected at once,
// unless it is hot: named again at the read right after it was protected, so the guest writes it
// at every refresh. A hot word stays writable and is protected only when its stripe comes up
// (word % period == the read's phase), once every `period` reads; if the read after that finds it
// clean, it is cold again. So a page written now and then (a cursor) is named at one read per
// write, as without the schedule, and a page rewritten at every refresh faults once in `period`
// refreshes, at the price of being named for up to `period` reads after the guest's last write
// (the display compares what it renders with what its clients have).
#include <cstdint>
#include <span>
#include <vector>

namespace vireo {

class ReprotectSchedule {
public:
    static constexpr uint32_t k_default_period = 8;

    explicit ReprotectSchedule(size_t words, uint32_t period = k_default_period);

    // After a read of the log into `log` (`words` long): fills `clear` (as long) with the pages to
    // write-protect now, a subset of those named, and says whether there are any.
    [[nodiscard]] bool next(std::span<const uint64_t> log, std::span<uint64_t> clear);

private:
    uint32_t m_period;
    uint32_t m_phase = 0;
    std::vector<bool> m_hot;            // kept writable: written at every refresh
    std::vector<bool> m_protected_last; // protected at the last read
};

} // namespace vireo
