#include "cli/keyval.h"

#include <algorithm>
#include <charconv>

namespace vireo {

namespace {

bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
        || c == '.';
}

bool is_valid_key(std::string_view key)
{
    return !key.empty() && std::all_of(key.begin(), key.end(), is_key_char);
}

// Reads a value from pos up to a single ',' (or the end), turning ",," into ','.
// Leaves pos just past the separator.
std::string read_value(std::string_view text, size_t& pos)
{
    std::string value;
    while (pos < text.size()) {
        char c = text[pos];
        if (c == ',') {
            if (pos + 1 < text.size() && text[pos + 1] == ',') {
                value.push_back(',');
                pos += 2;
                continue;
            }
            ++pos;
            break;
        }
        value.push_back(c);
        ++pos;
    }
    return value;
}

// Printable form of a key for an error message: the message must stay one line.
std::string printable(std::string_view text)
{
    std::string out;
    for (char c : text)
        out.push_back((static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c);
    return out;
}

} // namespace

Result<KeyValues> KeyValues::parse(std::string_view text, std::string_view implied_key)
{
    KeyValues result;
    size_t pos = 0;
    bool first = true;
    while (pos < text.size()) {
        size_t stop = text.find_first_of("=,", pos);
        bool has_equals = stop != std::string_view::npos && text[stop] == '=';
        if (first && !implied_key.empty() && !has_equals) {
            result.m_items.push_back({ std::string(implied_key), read_value(text, pos) });
        } else if (has_equals) {
            std::string_view key = text.substr(pos, stop - pos);
            if (!is_valid_key(key))
                return make_error("invalid parameter name '{}'", printable(key));
            pos = stop + 1;
            result.m_items.push_back({ std::string(key), read_value(text, pos) });
        } else {
            size_t end = stop == std::string_view::npos ? text.size() : stop;
            std::string_view flag = text.substr(pos, end - pos);
            if (!is_valid_key(flag))
                return make_error("invalid parameter name '{}'", printable(flag));
            pos = end == text.size() ? end : end + 1;
            if (flag.size() > 2 && flag.starts_with("no"))
                result.m_items.push_back({ std::string(flag.substr(2)), "off" });
            else
                result.m_items.push_back({ std::string(flag), "on" });
        }
        first = false;
    }
    return result;
}

std::optional<std::string_view> KeyValues::get(std::string_view key) const
{
    for (auto it = m_items.rbegin(); it != m_items.rend(); ++it) {
        if (it->key == key)
            return std::string_view(it->value);
    }
    return std::nullopt;
}

std::vector<std::string_view> KeyValues::get_all(std::string_view key) const
{
    std::vector<std::string_view> values;
    for (const auto& item : m_items) {
        if (item.key == key)
            values.emplace_back(item.value);
    }
    return values;
}

std::optional<std::string_view> KeyValues::first_unknown_key(std::span<const std::string_view> allowed) const
{
    for (const auto& item : m_items) {
        if (std::find(allowed.begin(), allowed.end(), item.key) == allowed.end())
            return std::string_view(item.key);
    }
    return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view value)
{
    if (value == "on" || value == "yes" || value == "true" || value == "y")
        return true;
    if (value == "off" || value == "no" || value == "false" || value == "n")
        return false;
    return std::nullopt;
}

std::optional<uint64_t> parse_uint(std::string_view value, uint64_t max)
{
    if (value.empty() || value.front() < '0' || value.front() > '9')
        return std::nullopt;
    uint64_t number = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc() || end != value.data() + value.size() || number > max)
        return std::nullopt;
    return number;
}

} // namespace vireo
