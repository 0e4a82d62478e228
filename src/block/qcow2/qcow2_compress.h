#pragma once
// Decompression of compressed clusters ("Compressed Clusters Descriptor"; zlib is raw
// deflate with a 4 KiB window, zstd a single frame). Output is exactly one cluster.
#include <cstdint>
#include <span>

#include "block/qcow2/qcow2_format.h"

namespace vireo::qcow2 {

// Fills out (one cluster) from the compressed bytes; 0 or -EIO when the data is malformed.
int decompress_cluster(CompressionType type, std::span<const uint8_t> in, std::span<uint8_t> out);

} // namespace vireo::qcow2
