#pragma once
// Parsing and validating a qcow2 header and its extensions, with one-line errors that name
// the image ("disk.qcow2: unsupported qcow2 feature: external data file").
#include <span>
#include <string>

#include "base/result.h"
#include "block/qcow2/qcow2_format.h"

namespace vireo::qcow2 {

// True when the bytes start with the qcow2 magic.
[[nodiscard]] bool has_qcow2_magic(std::span<const uint8_t> bytes);

// Reads and validates the header of the image open on fd (file_size bytes long).
[[nodiscard]] Result<Header> read_header(int fd, uint64_t file_size, const std::string& name);

// Validates a header given the bytes of the image's first cluster (or the whole file when
// it is shorter; missing bytes are zeros).
[[nodiscard]] Result<Header> parse_header(std::span<const uint8_t> first_cluster, uint64_t file_size, const std::string& name);

// L1 entries needed to map a virtual disk of `size` bytes.
[[nodiscard]] uint64_t l1_entries_for(uint64_t size, uint32_t cluster_bits);

} // namespace vireo::qcow2
