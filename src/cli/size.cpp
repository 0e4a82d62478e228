#include "cli/size.h"

#include <optional>

namespace vireo {

namespace {

std::optional<uint64_t> suffix_multiplier(char c)
{
    switch (c) {
    case 'b': case 'B': return 1ULL;
    case 'k': case 'K': return 1ULL << 10;
    case 'm': case 'M': return 1ULL << 20;
    case 'g': case 'G': return 1ULL << 30;
    case 't': case 'T': return 1ULL << 40;
    case 'p': case 'P': return 1ULL << 50;
    case 'e': case 'E': return 1ULL << 60;
    default: return std::nullopt;
    }
}

int digit_value(char c, unsigned base)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (base == 16 && c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (base == 16 && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

Result<uint64_t> parse_size(std::string_view text, uint64_t default_unit)
{
    unsigned base = 10;
    size_t pos = 0;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        pos = 2;
    }

    // Integer part; an overflow here is remembered, the syntax is still checked first.
    bool too_large = false;
    uint64_t whole = 0;
    size_t digits = 0;
    for (; pos < text.size() && digit_value(text[pos], base) >= 0; ++pos, ++digits) {
        auto digit = static_cast<uint64_t>(digit_value(text[pos], base));
        if (whole > (UINT64_MAX - digit) / base)
            too_large = true;
        else
            whole = whole * base + digit;
    }
    if (digits == 0)
        return make_error("invalid size");

    // Fraction: kept as numerator / 10^n with at most 18 digits (the rest cannot matter after
    // truncation to bytes, since the largest unit is 2^60 < 10^19).
    uint64_t fraction = 0;
    uint64_t scale = 1;
    bool has_fraction = false;
    if (base == 10 && pos < text.size() && text[pos] == '.') {
        has_fraction = true;
        ++pos;
        size_t fraction_digits = 0;
        for (; pos < text.size() && digit_value(text[pos], 10) >= 0; ++pos, ++fraction_digits) {
            if (fraction_digits < 18) {
                fraction = fraction * 10 + static_cast<uint64_t>(text[pos] - '0');
                scale *= 10;
            }
        }
        if (fraction_digits == 0)
            return make_error("invalid size");
    }

    uint64_t unit = default_unit;
    if (pos < text.size()) {
        auto multiplier = suffix_multiplier(text[pos]);
        if (!multiplier)
            return make_error("invalid size");
        unit = *multiplier;
        ++pos;
    }
    if (pos != text.size())
        return make_error("invalid size");
    if (has_fraction && unit == 1)
        return make_error("invalid size");
    if (too_large)
        return make_error("size too large");

    uint64_t bytes = 0;
    if (__builtin_mul_overflow(whole, unit, &bytes))
        return make_error("size too large");
    if (has_fraction) {
        // fraction * unit / scale without overflow: fraction < 10^18 and unit <= 2^60.
        unsigned __int128 part = static_cast<unsigned __int128>(fraction) * unit / scale;
        if (__builtin_add_overflow(bytes, static_cast<uint64_t>(part), &bytes))
            return make_error("size too large");
    }
    return bytes;
}

} // namespace vireo
