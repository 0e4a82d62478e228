#include "machine/acpi/aml.h"

#include <algorithm>
#include <cassert>

namespace vireo::aml {

namespace {

// Opcodes (ACPI 6.4 §20.2).
constexpr uint8_t k_zero_op = 0x00;
constexpr uint8_t k_one_op = 0x01;
constexpr uint8_t k_name_op = 0x08;
constexpr uint8_t k_byte_prefix = 0x0a;
constexpr uint8_t k_word_prefix = 0x0b;
constexpr uint8_t k_dword_prefix = 0x0c;
constexpr uint8_t k_string_prefix = 0x0d;
constexpr uint8_t k_qword_prefix = 0x0e;
constexpr uint8_t k_scope_op = 0x10;
constexpr uint8_t k_buffer_op = 0x11;
constexpr uint8_t k_package_op = 0x12;
constexpr uint8_t k_method_op = 0x14;
constexpr uint8_t k_dual_name_prefix = 0x2e;
constexpr uint8_t k_multi_name_prefix = 0x2f;
constexpr uint8_t k_ext_op_prefix = 0x5b;
constexpr uint8_t k_device_op = 0x82;
constexpr uint8_t k_return_op = 0xa4;

// Resource descriptor tags (ACPI 6.4 §6.4.2, §6.4.3).
constexpr uint8_t k_irq_tag = 0x22;  // small item 0x04, length 2
constexpr uint8_t k_io_tag = 0x47;   // small item 0x08, length 7
constexpr uint8_t k_end_tag = 0x79;  // small item 0x0f, length 1
constexpr uint8_t k_dword_address_tag = 0x87;
constexpr uint8_t k_word_address_tag = 0x88;
constexpr uint8_t k_qword_address_tag = 0x8a;
constexpr uint8_t k_space_memory = 0;
constexpr uint8_t k_space_io = 1;
constexpr uint8_t k_space_bus = 2;
// General flags: producer, min and max fixed, positive decode.
constexpr uint8_t k_window_flags = 0x0c;
constexpr uint8_t k_io_entire_range = 0x03;
constexpr uint8_t k_memory_read_write = 0x01;
constexpr uint8_t k_memory_cacheable = 0x02;

void append(Bytes& out, const Bytes& more)
{
    out.insert(out.end(), more.begin(), more.end());
}

template<typename T>
void append_le(Bytes& out, T value)
{
    for (size_t i = 0; i < sizeof(T); ++i)
        out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i)));
}

// Opcode(s), PkgLength, then body.
Bytes with_pkg_length(std::initializer_list<uint8_t> opcode, const Bytes& body)
{
    Bytes out(opcode);
    append(out, pkg_length(body.size()));
    append(out, body);
    return out;
}

} // namespace

Bytes terms(std::initializer_list<Bytes> list)
{
    return terms(std::span(list.begin(), list.size()));
}

Bytes terms(std::span<const Bytes> list)
{
    Bytes out;
    for (const auto& term : list)
        append(out, term);
    return out;
}

Bytes pkg_length(size_t body_size)
{
    // One byte holds 6 bits; with n extra bytes, 4 + 8n bits.
    if (body_size + 1 < 0x40)
        return Bytes { static_cast<uint8_t>(body_size + 1) };
    for (size_t extra = 1; extra <= 3; ++extra) {
        const size_t total = body_size + 1 + extra;
        if (total < (size_t(1) << (4 + 8 * extra))) {
            Bytes out { static_cast<uint8_t>((extra << 6) | (total & 0xf)) };
            for (size_t i = 0; i < extra; ++i)
                out.push_back(static_cast<uint8_t>(total >> (4 + 8 * i)));
            return out;
        }
    }
    assert(false && "AML object larger than 256 MiB");
    return {};
}

Bytes name_string(std::string_view path)
{
    Bytes out;
    while (!path.empty() && (path.front() == '\\' || path.front() == '^')) {
        out.push_back(static_cast<uint8_t>(path.front()));
        path.remove_prefix(1);
    }
    std::vector<std::string_view> segments;
    while (!path.empty()) {
        const size_t dot = path.find('.');
        segments.push_back(path.substr(0, dot));
        path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    }
    if (segments.empty()) {
        out.push_back(0); // NullName
        return out;
    }
    if (segments.size() == 2)
        out.push_back(k_dual_name_prefix);
    else if (segments.size() > 2) {
        out.push_back(k_multi_name_prefix);
        out.push_back(static_cast<uint8_t>(segments.size()));
    }
    for (auto segment : segments) {
        assert(!segment.empty() && segment.size() <= 4);
        for (size_t i = 0; i < 4; ++i)
            out.push_back(static_cast<uint8_t>(i < segment.size() ? segment[i] : '_'));
    }
    return out;
}

Bytes integer(uint64_t value)
{
    Bytes out;
    if (value == 0) {
        out.push_back(k_zero_op);
    } else if (value == 1) {
        out.push_back(k_one_op);
    } else if (value <= 0xff) {
        out.push_back(k_byte_prefix);
        append_le<uint8_t>(out, static_cast<uint8_t>(value));
    } else if (value <= 0xffff) {
        out.push_back(k_word_prefix);
        append_le<uint16_t>(out, static_cast<uint16_t>(value));
    } else if (value <= 0xffff'ffff) {
        out.push_back(k_dword_prefix);
        append_le<uint32_t>(out, static_cast<uint32_t>(value));
    } else {
        out.push_back(k_qword_prefix);
        append_le<uint64_t>(out, value);
    }
    return out;
}

Bytes string(std::string_view text)
{
    Bytes out(text.size() + 2, 0);
    out[0] = k_string_prefix;
    std::copy(text.begin(), text.end(), out.begin() + 1);
    return out;
}

Bytes eisa_id(std::string_view id)
{
    // Three letters of 5 bits each (A = 1) then four hex digits, stored big-endian (§6.1.5).
    assert(id.size() == 7);
    auto hex = [](char c) -> uint32_t { return c <= '9' ? uint32_t(c - '0') : uint32_t(c - 'A' + 10); };
    const uint32_t vendor = (uint32_t(id[0] - '@') << 10) | (uint32_t(id[1] - '@') << 5) | uint32_t(id[2] - '@');
    const uint32_t product = (hex(id[3]) << 12) | (hex(id[4]) << 8) | (hex(id[5]) << 4) | hex(id[6]);
    const uint32_t big_endian = (vendor << 16) | product;
    const uint32_t value = __builtin_bswap32(big_endian);
    Bytes out { k_dword_prefix };
    append_le<uint32_t>(out, value);
    return out;
}

Bytes buffer(std::span<const uint8_t> data)
{
    Bytes body = integer(data.size());
    body.insert(body.end(), data.begin(), data.end());
    return with_pkg_length({ k_buffer_op }, body);
}

Bytes package(std::initializer_list<Bytes> elements)
{
    return package(std::span(elements.begin(), elements.size()));
}

Bytes package(std::span<const Bytes> elements)
{
    assert(elements.size() <= 255);
    Bytes body { static_cast<uint8_t>(elements.size()) };
    append(body, terms(elements));
    return with_pkg_length({ k_package_op }, body);
}

Bytes name(std::string_view path, const Bytes& object)
{
    Bytes out { k_name_op };
    append(out, name_string(path));
    append(out, object);
    return out;
}

Bytes scope(std::string_view path, const Bytes& body)
{
    Bytes inner = name_string(path);
    append(inner, body);
    return with_pkg_length({ k_scope_op }, inner);
}

Bytes device(std::string_view path, const Bytes& body)
{
    Bytes inner = name_string(path);
    append(inner, body);
    return with_pkg_length({ k_ext_op_prefix, k_device_op }, inner);
}

Bytes method(std::string_view path, uint8_t arg_count, const Bytes& body)
{
    Bytes inner = name_string(path);
    inner.push_back(static_cast<uint8_t>(arg_count & 0x7)); // not serialized, sync level 0
    append(inner, body);
    return with_pkg_length({ k_method_op }, inner);
}

Bytes return_value(const Bytes& value)
{
    // Built by reserve + push_back: GCC 12 at -O3 misreads insert() after a one-element
    // initializer list as an out-of-bounds memcpy (-Warray-bounds).
    Bytes out;
    out.reserve(1 + value.size());
    out.push_back(k_return_op);
    append(out, value);
    return out;
}

void ResourceTemplate::io(uint16_t min, uint16_t max, uint8_t alignment, uint8_t length)
{
    m_bytes.push_back(k_io_tag);
    m_bytes.push_back(0x01); // 16-bit decode
    append_le<uint16_t>(m_bytes, min);
    append_le<uint16_t>(m_bytes, max);
    m_bytes.push_back(alignment);
    m_bytes.push_back(length);
}

void ResourceTemplate::irq(uint8_t irq)
{
    m_bytes.push_back(k_irq_tag);
    append_le<uint16_t>(m_bytes, static_cast<uint16_t>(1u << (irq & 0xf)));
}

void ResourceTemplate::word_bus_number(uint16_t min, uint16_t max)
{
    m_bytes.push_back(k_word_address_tag);
    append_le<uint16_t>(m_bytes, 13);
    m_bytes.push_back(k_space_bus);
    m_bytes.push_back(k_window_flags);
    m_bytes.push_back(0);
    append_le<uint16_t>(m_bytes, 0); // granularity
    append_le<uint16_t>(m_bytes, min);
    append_le<uint16_t>(m_bytes, max);
    append_le<uint16_t>(m_bytes, 0); // translation
    append_le<uint16_t>(m_bytes, static_cast<uint16_t>(max - min + 1));
}

void ResourceTemplate::word_io(uint16_t min, uint16_t max)
{
    m_bytes.push_back(k_word_address_tag);
    append_le<uint16_t>(m_bytes, 13);
    m_bytes.push_back(k_space_io);
    m_bytes.push_back(k_window_flags);
    m_bytes.push_back(k_io_entire_range);
    append_le<uint16_t>(m_bytes, 0);
    append_le<uint16_t>(m_bytes, min);
    append_le<uint16_t>(m_bytes, max);
    append_le<uint16_t>(m_bytes, 0);
    append_le<uint16_t>(m_bytes, static_cast<uint16_t>(max - min + 1));
}

void ResourceTemplate::dword_memory(uint32_t min, uint32_t max, bool cacheable)
{
    m_bytes.push_back(k_dword_address_tag);
    append_le<uint16_t>(m_bytes, 23);
    m_bytes.push_back(k_space_memory);
    m_bytes.push_back(k_window_flags);
    m_bytes.push_back(static_cast<uint8_t>(k_memory_read_write | (cacheable ? k_memory_cacheable : 0)));
    append_le<uint32_t>(m_bytes, 0);
    append_le<uint32_t>(m_bytes, min);
    append_le<uint32_t>(m_bytes, max);
    append_le<uint32_t>(m_bytes, 0);
    append_le<uint32_t>(m_bytes, max - min + 1);
}

void ResourceTemplate::qword_memory(uint64_t min, uint64_t max, bool cacheable)
{
    m_bytes.push_back(k_qword_address_tag);
    append_le<uint16_t>(m_bytes, 43);
    m_bytes.push_back(k_space_memory);
    m_bytes.push_back(k_window_flags);
    m_bytes.push_back(static_cast<uint8_t>(k_memory_read_write | (cacheable ? k_memory_cacheable : 0)));
    append_le<uint64_t>(m_bytes, 0);
    append_le<uint64_t>(m_bytes, min);
    append_le<uint64_t>(m_bytes, max);
    append_le<uint64_t>(m_bytes, 0);
    append_le<uint64_t>(m_bytes, max - min + 1);
}

Bytes ResourceTemplate::buffer() const
{
    Bytes data = m_bytes;
    data.push_back(k_end_tag);
    data.push_back(0); // checksum 0: "treated as if the checksum operation succeeded"
    return aml::buffer(data);
}

} // namespace vireo::aml
