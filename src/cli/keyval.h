#pragma once
// QEMU's option-value syntax: "value,key=value,key2=value2".
//
// Rules (those of QEMU's QemuOpts):
// - items are separated by ','; a doubled ",," inside a value is a literal comma;
// - when implied_key is given and the first item has no '=', that item is the implied key's value
//   ("-netdev user,..." gives type=user, "-m 1G" gives size=1G, "-smp 4" gives cpus=4);
// - any other item without '=' is a flag: "server" means server=on, "noX" means X=off
//   (so "nowait" is wait=off, "nodelay" is delay=off);
// - a key is made of letters, digits, '-', '_' and '.'; an empty or other key is an error;
// - a trailing ',' is ignored;
// - duplicate keys are all kept in order; get() answers the last one (QEMU: last wins), and
//   get_all() serves repeatable keys such as hostfwd=.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vireo {

struct KeyValue {
    std::string key;
    std::string value;
};

class KeyValues {
public:
    // Parses text; an error message is a short phrase such as "invalid parameter name 'a b'".
    [[nodiscard]] static Result<KeyValues> parse(std::string_view text, std::string_view implied_key = {});

    // The value of the last occurrence of key.
    [[nodiscard]] std::optional<std::string_view> get(std::string_view key) const;
    // The values of every occurrence of key, in order.
    [[nodiscard]] std::vector<std::string_view> get_all(std::string_view key) const;
    [[nodiscard]] bool contains(std::string_view key) const { return get(key).has_value(); }
    // The first key that is not in allowed, if any.
    [[nodiscard]] std::optional<std::string_view> first_unknown_key(std::span<const std::string_view> allowed) const;

    [[nodiscard]] const std::vector<KeyValue>& items() const { return m_items; }
    [[nodiscard]] bool empty() const { return m_items.empty(); }

private:
    std::vector<KeyValue> m_items;
};

// QEMU's boolean spellings: on/off, yes/no, true/false, y/n.
[[nodiscard]] std::optional<bool> parse_bool(std::string_view value);

// A decimal unsigned integer without sign, spaces or suffix, at most max.
[[nodiscard]] std::optional<uint64_t> parse_uint(std::string_view value, uint64_t max);

} // namespace vireo
