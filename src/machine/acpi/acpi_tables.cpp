#include "machine/acpi/acpi_tables.h"

#include "machine/acpi/sdt.h"
#include "machine/boot/le_bytes.h"

namespace vireo {

namespace {

constexpr size_t k_rsdp_size = 36;
constexpr size_t k_rsdp_v1_size = 20;
constexpr size_t k_rsdp_checksum_offset = 8;
constexpr size_t k_rsdp_extended_checksum_offset = 32;
constexpr size_t k_rsdp_rsdt_offset = 16;
constexpr size_t k_rsdp_xsdt_offset = 24;

// Every table but the RSDP, laid out for a load address `base`: pointers hold base + offset.
struct Layout {
    std::vector<uint8_t> image;
    std::vector<AcpiPointer> pointers;        // fields of `image` that hold addresses
    std::vector<AcpiChecksum> checksums;      // one per table with a checksum (not the FACS)
    uint64_t xsdt = 0;                        // addresses (base included)
    uint64_t rsdt = 0;
};

class Builder {
public:
    explicit Builder(uint64_t base)
        : m_base(base)
    {
    }

    // Appends a table at the next multiple of `alignment` and returns its address.
    uint64_t place(std::span<const uint8_t> table, size_t alignment = 16)
    {
        auto& image = m_layout.image;
        image.resize((image.size() + alignment - 1) / alignment * alignment, 0);
        const auto offset = static_cast<uint32_t>(image.size());
        image.insert(image.end(), table.begin(), table.end());
        if (table.size() >= acpi::k_header_size && !is_facs(table))
            m_layout.checksums.push_back(
                AcpiChecksum { offset, static_cast<uint32_t>(table.size()), offset + uint32_t(acpi::k_checksum_offset) });
        return m_base + offset;
    }

    // Records that the table placed at `table` has a pointer field at `field` of `size` bytes.
    void pointer(uint64_t table, size_t field, uint8_t size)
    {
        m_layout.pointers.push_back(AcpiPointer { static_cast<uint32_t>(table - m_base + field), size });
    }

    Layout take() { return std::move(m_layout); }
    Layout& layout() { return m_layout; }

private:
    static bool is_facs(std::span<const uint8_t> table) { return std::equal(table.begin(), table.begin() + 4, "FACS"); }

    uint64_t m_base;
    Layout m_layout;
};

Result<Layout> lay_out(const AcpiConfig& config, uint64_t base)
{
    const uint32_t possible = config.topology.sockets * config.topology.cores * config.topology.threads;
    if (config.cpu_count == 0 || config.cpu_count > possible)
        return make_error("ACPI: {} vCPUs do not fit a topology of {} sockets x {} cores x {} threads", config.cpu_count,
            config.topology.sockets, config.topology.cores, config.topology.threads);
    if (!config.pci_intx_gsis.empty() && config.pci_intx_gsis.size() != 4)
        return make_error("ACPI: PCI INTx routing needs exactly 4 GSIs, got {}", config.pci_intx_gsis.size());

    Builder builder(base);
    const uint64_t facs = builder.place(acpi::build_facs(), 64);
    const uint64_t dsdt = builder.place(acpi::build_dsdt(config));
    std::vector<uint64_t> listed;
    const uint64_t fadt = builder.place(acpi::build_fadt(config, facs, dsdt));
    builder.pointer(fadt, acpi::k_fadt_firmware_ctrl_offset, 4);
    builder.pointer(fadt, acpi::k_fadt_dsdt_offset, 4);
    builder.pointer(fadt, acpi::k_fadt_x_firmware_ctrl_offset, 8);
    builder.pointer(fadt, acpi::k_fadt_x_dsdt_offset, 8);
    listed.push_back(fadt);
    listed.push_back(builder.place(acpi::build_madt(config)));
    for (const auto& extra : config.extra_tables) {
        if (extra.size() < acpi::k_header_size || load_le<uint32_t>(extra, 4) != extra.size())
            return make_error("ACPI: an extra table is malformed ({} bytes)", extra.size());
        std::vector<uint8_t> table = extra;
        acpi::fix_checksum(table);
        listed.push_back(builder.place(table));
    }

    acpi::TableWriter xsdt("XSDT", 1);
    acpi::TableWriter rsdt("RSDT", 1);
    for (uint64_t address : listed) {
        xsdt.u64(address);
        rsdt.u32(static_cast<uint32_t>(address));
    }
    const uint64_t xsdt_address = builder.place(xsdt.finish());
    const uint64_t rsdt_address = builder.place(rsdt.finish());
    for (size_t i = 0; i < listed.size(); ++i) {
        builder.pointer(xsdt_address, acpi::k_header_size + 8 * i, 8);
        builder.pointer(rsdt_address, acpi::k_header_size + 4 * i, 4);
    }
    builder.layout().xsdt = xsdt_address;
    builder.layout().rsdt = rsdt_address;
    return builder.take();
}

// RSDP (ACPI 6.4 §5.2.5.3), revision 2, with both checksums set.
std::vector<uint8_t> build_rsdp(uint64_t rsdt_address, uint64_t xsdt_address)
{
    std::vector<uint8_t> rsdp(k_rsdp_size, 0);
    const char signature[] = "RSD PTR ";
    std::copy(signature, signature + 8, rsdp.begin());
    std::copy(acpi::k_oem_id.begin(), acpi::k_oem_id.end(), rsdp.begin() + 9);
    rsdp[15] = 2; // revision: ACPI 2.0+
    store_le<uint32_t>(rsdp, k_rsdp_rsdt_offset, static_cast<uint32_t>(rsdt_address));
    store_le<uint32_t>(rsdp, 20, k_rsdp_size);
    store_le<uint64_t>(rsdp, k_rsdp_xsdt_offset, xsdt_address);
    rsdp[k_rsdp_checksum_offset] = acpi::checksum_of(std::span(rsdp).first(k_rsdp_v1_size));
    rsdp[k_rsdp_extended_checksum_offset] = acpi::checksum_of(rsdp);
    return rsdp;
}

} // namespace

Result<AcpiTables> build_acpi_tables(const AcpiConfig& config)
{
    Layout layout = TRY(lay_out(config, pc::k_bios_area_start));
    std::vector<uint8_t> image = std::move(layout.image);

    // The RSDP on a 16-byte boundary for the legacy scan.
    image.resize((image.size() + 15) / 16 * 16, 0);
    const uint64_t rsdp_address = pc::k_bios_area_start + image.size();
    auto rsdp = build_rsdp(layout.rsdt, layout.xsdt);
    image.insert(image.end(), rsdp.begin(), rsdp.end());

    if (image.size() > pc::k_bios_area_end - pc::k_bios_area_start)
        return make_error("ACPI tables need {} KiB, more than the {} KiB BIOS area", image.size() >> 10,
            (pc::k_bios_area_end - pc::k_bios_area_start) >> 10);

    AcpiTables tables;
    tables.address = pc::k_bios_area_start;
    tables.image = std::move(image);
    tables.rsdp_address = rsdp_address;
    return tables;
}

Result<AcpiFirmwareTables> build_acpi_firmware_tables(const AcpiConfig& config)
{
    Layout layout = TRY(lay_out(config, 0));
    if (layout.image.size() > UINT32_MAX)
        return make_error("ACPI tables are too large ({} bytes)", layout.image.size());

    AcpiFirmwareTables out;
    out.tables = std::move(layout.image);
    out.table_pointers = std::move(layout.pointers);
    out.table_checksums = std::move(layout.checksums);
    // The loader sums each range with its checksum byte at 0 (QEMU's linker asserts as much).
    for (const auto& checksum : out.table_checksums)
        out.tables[checksum.checksum_offset] = 0;

    out.rsdp = build_rsdp(layout.rsdt, layout.xsdt);
    out.rsdp[k_rsdp_checksum_offset] = 0;
    out.rsdp[k_rsdp_extended_checksum_offset] = 0;
    out.rsdp_pointers = { AcpiPointer { k_rsdp_rsdt_offset, 4 }, AcpiPointer { k_rsdp_xsdt_offset, 8 } };
    out.rsdp_checksums = {
        AcpiChecksum { 0, k_rsdp_v1_size, k_rsdp_checksum_offset },
        AcpiChecksum { 0, k_rsdp_size, k_rsdp_extended_checksum_offset },
    };
    return out;
}

} // namespace vireo
