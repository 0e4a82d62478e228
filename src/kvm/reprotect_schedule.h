#pragma once
// When to write-protect a dirty-logged slot's pages again, with KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2
// (Documentation/virt/kvm/api.rst, 4.118 KVM_CLEAR_DIRTY_LOG). Without it, every KVM_GET_DIRTY_LOG
// write-protects each page it reports, so a framebuffer that the guest rewrites between two
// refreshes (a scrolling console: every page) costs one write fault per page per refresh, each a
// VM exit. With it, a written page stays writable, and its bit stays set, until vireo clears it.
// The schedule clears one stripe of the log per read: 64-page word w when w % period equals the
// read's phase. A busy page then faults once every `period` reads instead of at each one, and is
// named dirty at every read meanwhile; a page the guest stopped writing drops out of the log
// within `period` reads. The reader must tolerate pages named that did not change (the display
// compares what it renders with what its clients have).
#include <cstdint>
#include <span>

namespace vireo {

class ReprotectSchedule {
public:
    static constexpr uint32_t k_default_period = 8;

    explicit ReprotectSchedule(uint32_t period = k_default_period);

    // After a read of the log into `log`: fills `clear` (as long as `log`) with this read's
    // stripe of the pages named, the ones to write-protect now, and says whether there are any.
    [[nodiscard]] bool next(std::span<const uint64_t> log, std::span<uint64_t> clear);

private:
    uint32_t m_period;
    uint32_t m_phase = 0;
};

} // namespace vireo
