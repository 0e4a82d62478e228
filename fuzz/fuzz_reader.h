#pragma once
// The fuzzer's bytes read as a program: little-endian fields, zeros once the input runs out.
#include <cstddef>
#include <cstdint>

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

} // namespace vireo::fuzz
