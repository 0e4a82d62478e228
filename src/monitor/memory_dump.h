#pragma once
// The human monitor's memory dumps, x and xp: the "/Nfu" format (count, format x d u o c,
// unit b h w g) and the layout of QEMU 7.2's memory_dump (16 bytes a line, 8 for bytes; each
// value right-aligned to its unit's widest), with every line read through a checked accessor:
// a line that is not all guest RAM prints "Cannot access memory" and ends the dump.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vireo {

struct DumpFormat {
    uint64_t count = 1;
    char format = 'x';
    uint32_t unit = 4; // bytes
};

// A dump larger than this is refused rather than queued for a client (QEMU has no limit).
constexpr uint64_t k_max_dump_bytes = 1 << 20;

// Reads guest memory at an address (guest-physical for xp, virtual for x): all or an error.
using DumpReader = std::function<Result<void>(uint64_t address, std::span<uint8_t> out)>;

// Parses the text after '/' ("4xw", "x", "10c"); errors are QEMU's text ("invalid char in
// format: 'q'").
[[nodiscard]] Result<DumpFormat> parse_dump_format(std::string_view text);

// The dump, lines ending in CRLF.
[[nodiscard]] std::string format_memory_dump(uint64_t address, const DumpFormat& format, const DumpReader& read);

} // namespace vireo
