#pragma once
// The fuzzer's bytes read as a program: little-endian fields, zeros once the input runs out.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace vireo::fuzz {

class Reader {
public:
    Reader(const uint8_t* data, size_t size)
        : m_data(data)
        , m_size(size)
    {
    }
    bool done() const { return m_position >= m_size; }
    uint8_t byte() { return m_position < m_size ? m_data[m_position++] : 0; }
    uint16_t u16() { return static_cast<uint16_t>(byte() | byte() << 8); }
    uint32_t u32() { return uint32_t { u16() } | uint32_t { u16() } << 16; }
    uint64_t u64() { return uint64_t { u32() } | uint64_t { u32() } << 32; }
    size_t position() const { return m_position; }

private:
    const uint8_t* m_data;
    size_t m_size;
    size_t m_position = 0;
};

// Fills `out` with `pattern` repeated (the same bytes as copying it once per pattern length),
// doubling the copied prefix: log2(out/pattern) copies instead of out/pattern, which matters for
// a 2-byte input over 64 KiB (an instrumented loop of 32768 memcpy calls, most of such an
// input's time). An empty pattern leaves `out` as it is.
inline void repeat_fill(std::span<uint8_t> out, std::span<const uint8_t> pattern)
{
    if (pattern.empty() || out.empty())
        return;
    size_t filled = std::min(pattern.size(), out.size());
    std::memcpy(out.data(), pattern.data(), filled);
    while (filled < out.size()) {
        size_t chunk = std::min(filled, out.size() - filled);
        std::memcpy(out.data() + filled, out.data(), chunk);
        filled += chunk;
    }
}

} // namespace vireo::fuzz
