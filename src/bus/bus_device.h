#pragma once
// A device on a PIO or MMIO bus. It sees offsets into its own range, never absolute addresses.
// Calls come from vCPU threads (several at once): a device guards its own state.
#include <cstdint>
#include <span>

namespace vireo {

class BusDevice {
public:
    virtual ~BusDevice() = default;
    virtual void read(uint64_t offset, std::span<uint8_t> data) = 0;
    virtual void write(uint64_t offset, std::span<const uint8_t> data) = 0;
};

} // namespace vireo
