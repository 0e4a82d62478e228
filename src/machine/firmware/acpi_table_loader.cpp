#include "machine/firmware/acpi_table_loader.h"

#include <algorithm>

#include "machine/boot/le_bytes.h"

namespace vireo::table_loader {

namespace {

class Commands {
public:
    void allocate(std::string_view file, uint32_t alignment, uint8_t zone)
    {
        auto command = start(k_allocate);
        name(command, 4, file);
        store_le<uint32_t>(command, 60, alignment);
        command[64] = zone;
    }

    void add_pointer(std::string_view dest, std::string_view src, uint32_t offset, uint8_t size)
    {
        auto command = start(k_add_pointer);
        name(command, 4, dest);
        name(command, 60, src);
        store_le<uint32_t>(command, 116, offset);
        command[120] = size;
    }

    void add_checksum(std::string_view file, const AcpiChecksum& checksum)
    {
        auto command = start(k_add_checksum);
        name(command, 4, file);
        store_le<uint32_t>(command, 60, checksum.checksum_offset);
        store_le<uint32_t>(command, 64, checksum.start);
        store_le<uint32_t>(command, 68, checksum.length);
    }

    std::vector<uint8_t> take() { return std::move(m_bytes); }

private:
    std::span<uint8_t> start(uint32_t type)
    {
        m_bytes.resize(m_bytes.size() + k_command_size, 0);
        auto command = std::span(m_bytes).last(k_command_size);
        store_le<uint32_t>(command, 0, type);
        return command;
    }
    static void name(std::span<uint8_t> command, size_t at, std::string_view file)
    {
        std::copy(file.begin(), file.end(), command.begin() + static_cast<std::ptrdiff_t>(at));
    }

    std::vector<uint8_t> m_bytes;
};

Result<void> check(const std::vector<uint8_t>& blob, std::string_view file, std::span<const AcpiPointer> pointers,
    std::span<const AcpiChecksum> checksums)
{
    for (const auto& pointer : pointers)
        if ((pointer.size != 4 && pointer.size != 8) || uint64_t(pointer.offset) + pointer.size > blob.size())
            return make_error("table-loader: bad pointer at {} in {}", pointer.offset, file);
    for (const auto& checksum : checksums)
        if (uint64_t(checksum.start) + checksum.length > blob.size() || checksum.checksum_offset >= blob.size())
            return make_error("table-loader: bad checksum range at {} in {}", checksum.start, file);
    return {};
}

} // namespace

Result<Files> build_table_loader(const AcpiFirmwareTables& acpi)
{
    TRY(check(acpi.tables, k_tables_file, acpi.table_pointers, acpi.table_checksums));
    TRY(check(acpi.rsdp, k_rsdp_file, acpi.rsdp_pointers, acpi.rsdp_checksums));

    Commands commands;
    // SeaBIOS and OVMF need a file allocated before any command names it.
    commands.allocate(k_rsdp_file, k_rsdp_alignment, k_zone_fseg);
    commands.allocate(k_tables_file, k_tables_alignment, k_zone_high);
    for (const auto& pointer : acpi.table_pointers)
        commands.add_pointer(k_tables_file, k_tables_file, pointer.offset, pointer.size);
    for (const auto& pointer : acpi.rsdp_pointers)
        commands.add_pointer(k_rsdp_file, k_tables_file, pointer.offset, pointer.size);
    for (const auto& checksum : acpi.table_checksums)
        commands.add_checksum(k_tables_file, checksum);
    for (const auto& checksum : acpi.rsdp_checksums)
        commands.add_checksum(k_rsdp_file, checksum);

    return Files { acpi.tables, acpi.rsdp, commands.take() };
}

} // namespace vireo::table_loader
