#pragma once
// Mapping host memory into the guest's physical address space (KVM memory slots), as an
// interface so that devices which remap memory at run time (the i440FX PAM registers) can be
// tested without KVM. Vm implements it.
#include <cstdint>

#include "base/result.h"

namespace vireo {

// ReadOnly: guest writes exit as MMIO writes. ReadWriteDirtyLog: writable, and KVM records the
// pages written (memory/dirty_log.h).
enum class SlotAccess { ReadWrite, ReadOnly, ReadWriteDirtyLog };

struct SlotId {
    uint32_t value = 0;
};

class MemorySlots {
public:
    virtual ~MemorySlots() = default;
    // Maps [host, host + size) at guest-physical address `address` (page-aligned, free range).
    [[nodiscard]] virtual Result<SlotId> map_slot(uint64_t address, uint64_t size, uint8_t* host, SlotAccess access) = 0;
    // Removes a slot: accesses to its range exit to the VMM again.
    virtual void unmap_slot(SlotId slot) = 0;
};

} // namespace vireo
