#pragma once
// Which pages of a KVM memory slot the guest wrote since the last call (KVM_GET_DIRTY_LOG on a
// slot mapped with SlotAccess::ReadWriteDirtyLog). Vm implements it; tests fake it. A display
// asks it which pages of its framebuffer changed, so nothing is redrawn while nothing changes.
#include <cstdint>
#include <span>

#include "base/result.h"
#include "memory/memory_slots.h"

namespace vireo {

class DirtyLog {
public:
    virtual ~DirtyLog() = default;
    // Fills `bitmap` (bit n of word n / 64: page n of the slot; at least (pages + 63) / 64
    // words) with the pages written since the last call, and starts counting afresh.
    [[nodiscard]] virtual Result<void> take_dirty_pages(SlotId slot, std::span<uint64_t> bitmap) = 0;
};

} // namespace vireo
