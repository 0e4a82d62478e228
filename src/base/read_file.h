#pragma once
// Reading a whole regular file into memory (kernel, initrd and firmware images).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "base/result.h"

namespace vireo {

// Reads `path` whole; a file larger than max_size is refused before it is read.
[[nodiscard]] Result<std::vector<uint8_t>> read_whole_file(const std::string& path,
    uint64_t max_size = std::numeric_limits<uint64_t>::max());

} // namespace vireo
