#include "monitor/memory_dump.h"

#include <fmt/core.h>

#include <array>
#include <cctype>
#include <cstring>

namespace vireo {

namespace {

uint32_t unit_of(char letter)
{
    switch (letter) {
    case 'b':
        return 1;
    case 'h':
        return 2;
    case 'w':
        return 4;
    case 'g':
        return 8;
    default:
        return 0;
    }
}

// The widest value of a unit in a format, in characters (so that columns line up).
int digits(char format, uint32_t unit)
{
    uint32_t bits = unit * 8;
    switch (format) {
    case 'x':
        return static_cast<int>(unit * 2);
    case 'o':
        return static_cast<int>((bits + 2) / 3);
    default: // d, u: digits of 2^bits, rounded up (log10(2) ~ 10/33)
        return static_cast<int>((bits * 10 + 32) / 33);
    }
}

std::string quoted_char(uint8_t byte)
{
    switch (byte) {
    case '\'':
        return "'\\''";
    case '\\':
        return "'\\\\'";
    case '\n':
        return "'\\n'";
    case '\r':
        return "'\\r'";
    default:
        if (byte >= 32 && byte <= 126)
            return fmt::format("'{}'", static_cast<char>(byte));
        return fmt::format("'\\x{:02x}'", byte);
    }
}

std::string format_value(uint64_t value, char format, uint32_t unit)
{
    int width = digits(format, unit);
    switch (format) {
    case 'x':
        return fmt::format("0x{:0{}x}", value, width);
    case 'o':
        return value == 0 ? fmt::format("{:>{}}", "0", width) : fmt::format("{:>#{}o}", value, width);
    case 'u':
        return fmt::format("{:>{}}", value, width);
    case 'd': {
        // The value as a signed number of its unit.
        uint32_t shift = 64 - unit * 8;
        auto signed_value = static_cast<int64_t>(value << shift) >> shift;
        return fmt::format("{:>{}}", signed_value, width);
    }
    default:
        return quoted_char(static_cast<uint8_t>(value));
    }
}

} // namespace

Result<DumpFormat> parse_dump_format(std::string_view text)
{
    DumpFormat format;
    size_t position = 0;
    if (position < text.size() && std::isdigit(static_cast<unsigned char>(text[position]))) {
        uint64_t count = 0;
        while (position < text.size() && std::isdigit(static_cast<unsigned char>(text[position]))) {
            count = count * 10 + static_cast<uint64_t>(text[position] - '0');
            if (count > k_max_dump_bytes)
                return make_error("count too large (at most {} bytes are dumped)", k_max_dump_bytes);
            ++position;
        }
        format.count = count;
    }
    for (; position < text.size(); ++position) {
        char letter = text[position];
        if (letter == 'x' || letter == 'd' || letter == 'u' || letter == 'o' || letter == 'c') {
            format.format = letter;
        } else if (uint32_t unit = unit_of(letter)) {
            format.unit = unit;
        } else if (letter == 'i' || letter == 's') {
            return make_error("format '{}' is not supported by vireo (x, d, u, o, c)", letter);
        } else {
            return make_error("invalid char in format: '{}'", letter);
        }
    }
    if (format.format == 'c')
        format.unit = 1; // characters are bytes, whatever unit was given
    if (format.count * format.unit > k_max_dump_bytes)
        return make_error("count too large (at most {} bytes are dumped)", k_max_dump_bytes);
    return format;
}

std::string format_memory_dump(uint64_t address, const DumpFormat& format, const DumpReader& read)
{
    std::string text;
    uint64_t remaining = format.count * format.unit;
    const uint64_t line_size = format.unit == 1 ? 8 : 16;
    std::array<uint8_t, 16> line {};
    while (remaining > 0) {
        uint64_t length = std::min(remaining, line_size);
        text += fmt::format("{:016x}:", address);
        if (!read(address, std::span(line.data(), static_cast<size_t>(length)))) {
            text += " Cannot access memory\r\n";
            break;
        }
        for (uint64_t offset = 0; offset < length; offset += format.unit) {
            uint64_t value = 0;
            // Little-endian: x86's byte order (QEMU reads with the target's ldn).
            std::memcpy(&value, line.data() + offset, format.unit);
            text += ' ';
            text += format_value(value, format.format, format.unit);
        }
        text += "\r\n";
        address += length;
        remaining -= length;
    }
    return text;
}

} // namespace vireo
