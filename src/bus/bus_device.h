#pragma once
// A device on a PIO or MMIO bus. It sees offsets into its own range, never absolute addresses.
// Calls come from vCPU threads (several at once): a device guards its own state.
#include <cstddef>
#include <cstdint>
#include <span>

namespace vireo {

class BusDevice {
public:
    virtual ~BusDevice() = default;
    virtual void read(uint64_t offset, std::span<uint8_t> data) = 0;
    virtual void write(uint64_t offset, std::span<const uint8_t> data) = 0;
    // A string I/O instruction's batch (rep ins/outs): data.size() / width accesses of `width`
    // bytes, all at `offset`, in order. By default they are made one at a time; a device with a
    // data FIFO (the IDE data register) takes the whole batch in one call.
    virtual void read_string(uint64_t offset, size_t width, std::span<uint8_t> data)
    {
        for (size_t at = 0; width && at + width <= data.size(); at += width)
            read(offset, data.subspan(at, width));
    }
    virtual void write_string(uint64_t offset, size_t width, std::span<const uint8_t> data)
    {
        for (size_t at = 0; width && at + width <= data.size(); at += width)
            write(offset, data.subspan(at, width));
    }
};

} // namespace vireo
