#pragma once
// System description table helpers: the common 36-byte header (ACPI 6.4 §5.2.6) and byte
// checksums, plus the individual tables' builders.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "machine/acpi/acpi_tables.h"

namespace vireo::acpi {

constexpr size_t k_header_size = 36;
constexpr size_t k_checksum_offset = 9;
constexpr size_t k_facs_size = 64;

// Offsets of the FADT's pointer fields (ACPI 6.4 §5.2.9, Table 5.9).
constexpr size_t k_fadt_firmware_ctrl_offset = 36;   // 4 bytes
constexpr size_t k_fadt_dsdt_offset = 40;            // 4 bytes
constexpr size_t k_fadt_x_firmware_ctrl_offset = 132; // 8 bytes
constexpr size_t k_fadt_x_dsdt_offset = 140;          // 8 bytes

// Appends little-endian values to a table under construction.
class TableWriter {
public:
    // Starts a table with its header; the length and checksum are set by finish().
    TableWriter(std::string_view signature, uint8_t revision);

    void u8(uint8_t value) { m_bytes.push_back(value); }
    void u16(uint16_t value) { put(value, 2); }
    void u32(uint32_t value) { put(value, 4); }
    void u64(uint64_t value) { put(value, 8); }
    void bytes(std::span<const uint8_t> data) { m_bytes.insert(m_bytes.end(), data.begin(), data.end()); }
    void zeros(size_t count) { m_bytes.insert(m_bytes.end(), count, 0); }
    [[nodiscard]] size_t size() const { return m_bytes.size(); }

    // Generic Address Structure (§5.2.3.2) for a system I/O register.
    void io_gas(uint16_t port, uint8_t bit_width, uint8_t access_size);

    // Fills in length and checksum and returns the table.
    [[nodiscard]] std::vector<uint8_t> finish();

private:
    void put(uint64_t value, size_t width);
    std::vector<uint8_t> m_bytes;
};

// The value that makes the bytes sum to zero (mod 256).
[[nodiscard]] uint8_t checksum_of(std::span<const uint8_t> bytes);
// Recomputes the header checksum of a complete table in place.
void fix_checksum(std::span<uint8_t> table);

[[nodiscard]] std::vector<uint8_t> build_dsdt(const AcpiConfig& config);
[[nodiscard]] std::vector<uint8_t> build_madt(const AcpiConfig& config);
// The FADT's pointer fields hold facs_address and dsdt_address (32- and 64-bit forms).
[[nodiscard]] std::vector<uint8_t> build_fadt(const AcpiConfig& config, uint64_t facs_address, uint64_t dsdt_address);
[[nodiscard]] std::vector<uint8_t> build_facs();

// OEM fields written into every header.
constexpr std::string_view k_oem_id = "VIREO ";
constexpr std::string_view k_oem_table_id = "VIREOPC ";
constexpr std::string_view k_creator_id = "VIRO";

} // namespace vireo::acpi
