#pragma once
// ACPI tables for firmware that installs them itself (SeaBIOS, OVMF): the fw_cfg files
// etc/acpi/tables, etc/acpi/rsdp and etc/table-loader, whose commands tell the firmware to
// allocate both blobs, patch their pointers with the allocated addresses and compute their
// checksums (QEMU's BIOS linker/loader, hw/acpi/bios-linker-loader.c; SeaBIOS
// src/fw/romfile_loader.c). SeaBIOS then finds the RSDP in the F segment like any OS.
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "machine/acpi/acpi_tables.h"

namespace vireo::table_loader {

constexpr std::string_view k_tables_file = "etc/acpi/tables";
constexpr std::string_view k_rsdp_file = "etc/acpi/rsdp";
constexpr std::string_view k_loader_file = "etc/table-loader";

// Each command is 128 bytes, little-endian: u32 command, then its fields.
constexpr size_t k_command_size = 128;
constexpr size_t k_file_name_size = 56; // NUL-terminated
constexpr uint32_t k_allocate = 1;      // {file[56], u32 align, u8 zone}
constexpr uint32_t k_add_pointer = 2;   // {dest_file[56], src_file[56], u32 offset, u8 size}
constexpr uint32_t k_add_checksum = 3;  // {file[56], u32 result_offset, u32 start, u32 length}
constexpr uint8_t k_zone_high = 1;      // anywhere in RAM below 4 GiB
constexpr uint8_t k_zone_fseg = 2;      // the F segment (0xF0000-0xFFFFF), for the RSDP

constexpr uint32_t k_tables_alignment = 64; // the FACS needs 64
constexpr uint32_t k_rsdp_alignment = 16;   // the legacy RSDP scan steps by 16

struct Files {
    std::vector<uint8_t> tables; // etc/acpi/tables
    std::vector<uint8_t> rsdp;   // etc/acpi/rsdp
    std::vector<uint8_t> loader; // etc/table-loader
};

// Allocates both blobs, then adds every pointer, then every checksum (so each checksum sees
// patched pointers). Fails if a pointer or checksum lies outside its blob.
[[nodiscard]] Result<Files> build_table_loader(const AcpiFirmwareTables& acpi);

} // namespace vireo::table_loader
