#include "machine/acpi/sdt.h"

#include <cassert>

#include "machine/boot/le_bytes.h"

namespace vireo::acpi {

TableWriter::TableWriter(std::string_view signature, uint8_t revision)
{
    assert(signature.size() == 4);
    m_bytes.insert(m_bytes.end(), signature.begin(), signature.end());
    u32(0); // length
    u8(revision);
    u8(0); // checksum
    m_bytes.insert(m_bytes.end(), k_oem_id.begin(), k_oem_id.end());
    m_bytes.insert(m_bytes.end(), k_oem_table_id.begin(), k_oem_table_id.end());
    u32(1); // OEM revision
    m_bytes.insert(m_bytes.end(), k_creator_id.begin(), k_creator_id.end());
    u32(1); // creator revision
}

void TableWriter::put(uint64_t value, size_t width)
{
    for (size_t i = 0; i < width; ++i)
        m_bytes.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void TableWriter::io_gas(uint16_t port, uint8_t bit_width, uint8_t access_size)
{
    u8(1); // system I/O space
    u8(bit_width);
    u8(0); // bit offset
    u8(access_size);
    u64(port);
}

std::vector<uint8_t> TableWriter::finish()
{
    store_le<uint32_t>(m_bytes, 4, static_cast<uint32_t>(m_bytes.size()));
    fix_checksum(m_bytes);
    return std::move(m_bytes);
}

uint8_t checksum_of(std::span<const uint8_t> bytes)
{
    uint8_t sum = 0;
    for (uint8_t byte : bytes)
        sum = static_cast<uint8_t>(sum + byte);
    return static_cast<uint8_t>(-sum);
}

void fix_checksum(std::span<uint8_t> table)
{
    table[k_checksum_offset] = 0;
    table[k_checksum_offset] = checksum_of(table);
}

} // namespace vireo::acpi
