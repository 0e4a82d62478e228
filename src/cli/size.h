#pragma once
// Sizes in QEMU's notation: a number and an optional one-letter binary suffix.
//
// Suffixes (either case): B = 1, K = 2^10, M = 2^20, G = 2^30, T = 2^40, P = 2^50, E = 2^60.
// Two-letter forms such as "MB" or "GiB" are refused, as QEMU refuses them.
// A decimal fraction is allowed when the unit is larger than a byte ("1.5G"); the result is
// truncated to whole bytes. A "0x" prefix gives a hexadecimal integer ("0x1000", "0x10M").
// Without a suffix the number counts default_unit bytes: 1 for most options, 1 MiB for -m.
#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace vireo {

// Errors: "invalid size" (syntax) or "size too large" (more than 2^64 - 1 bytes).
[[nodiscard]] Result<uint64_t> parse_size(std::string_view text, uint64_t default_unit = 1);

} // namespace vireo
