#pragma once
// Writing a new, empty qcow2 v3 image (used for snapshot=on overlays, tests and fuzz seeds).
#include <cstdint>
#include <string>

#include "base/result.h"

namespace vireo::qcow2 {

struct CreateOptions {
    uint64_t size = 0;
    uint32_t cluster_bits = 16;
    uint32_t refcount_order = 4;
    std::string backing_file;   // stored in the header when not empty
    std::string backing_format; // backing-format header extension when not empty
};

// Formats the (empty) file open on fd as a qcow2 image.
[[nodiscard]] Result<void> create_image(int fd, const CreateOptions& options);

} // namespace vireo::qcow2
