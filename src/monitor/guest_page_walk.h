#pragma once
// Virtual to guest-physical translation for the monitor's `x`, by walking the page tables a
// vCPU's registers point at (Intel SDM vol. 3A §4.3 32-bit, §4.4 PAE, §4.5 4-level paging).
// Every table entry is read through the checked guest-memory accessor, so a table pointer
// outside RAM is an error, never a wild read.
#include <cstdint>
#include <functional>
#include <span>

#include "base/result.h"
#include "monitor/machine_control.h"

namespace vireo {

using PhysicalReader = std::function<Result<void>(uint64_t address, std::span<uint8_t> out)>;

// The guest-physical address of a virtual one, or an error when it is not mapped.
[[nodiscard]] Result<uint64_t> translate_virtual(const VcpuRegisters& registers, const PhysicalReader& read,
    uint64_t address);

// Reads virtual memory page by page: all of out, or an error.
[[nodiscard]] Result<void> read_virtual(const VcpuRegisters& registers, const PhysicalReader& read, uint64_t address,
    std::span<uint8_t> out);

} // namespace vireo
