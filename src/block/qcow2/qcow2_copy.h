#pragma once
// A new cluster being filled for a write (copy on write, or a fresh allocation): what to read
// into it first (its old contents: backing file, shared or zero cluster), the guest's bytes to
// lay over them, and what to write. Planned under the image lock, run without it.
#include <cstdint>
#include <cstring>
#include <vector>

#include "block/file_io.h"
#include "block/qcow2/qcow2_core.h"

namespace vireo::qcow2 {

struct Qcow2Core::CopyJob {
    struct Read {
        uint64_t position = 0; // in buffer
        HostExtent from;
    };
    AlignedBuffer buffer;      // the new cluster, or only the guest's bytes (a hole around them)
    uint64_t write_offset = 0; // file offset of buffer
    std::vector<Read> reads;   // the old contents, into buffer
    std::vector<uint8_t> data; // guest bytes laid over buffer at data_position after the reads
    uint64_t data_position = 0;
    int result = 0;

    // After the reads: the guest's bytes over the old contents.
    void lay_data()
    {
        if (!data.empty())
            std::memcpy(buffer.data() + data_position, data.data(), data.size());
    }
};

} // namespace vireo::qcow2
