#include "machine/acpi/acpi_tables.h"

#include "machine/acpi/sdt.h"
#include "machine/boot/le_bytes.h"

namespace vireo {

namespace {

constexpr size_t k_rsdp_size = 36;
constexpr size_t k_rsdp_v1_size = 20;

// Appends a table at the next multiple of `alignment` and returns its guest address.
uint64_t place(std::vector<uint8_t>& image, std::span<const uint8_t> table, size_t alignment = 16)
{
    image.resize((image.size() + alignment - 1) / alignment * alignment, 0);
    const uint64_t address = pc::k_bios_area_start + image.size();
    image.insert(image.end(), table.begin(), table.end());
    return address;
}

} // namespace

Result<AcpiTables> build_acpi_tables(const AcpiConfig& config)
{
    const uint32_t possible = config.topology.sockets * config.topology.cores * config.topology.threads;
    if (config.cpu_count == 0 || config.cpu_count > possible)
        return make_error("ACPI: {} vCPUs do not fit a topology of {} sockets x {} cores x {} threads", config.cpu_count,
            config.topology.sockets, config.topology.cores, config.topology.threads);
    if (!config.pci_intx_gsis.empty() && config.pci_intx_gsis.size() != 4)
        return make_error("ACPI: PCI INTx routing needs exactly 4 GSIs, got {}", config.pci_intx_gsis.size());

    std::vector<uint8_t> image;
    const uint64_t facs = place(image, acpi::build_facs(), 64);
    const uint64_t dsdt = place(image, acpi::build_dsdt(config));
    std::vector<uint64_t> listed;
    listed.push_back(place(image, acpi::build_fadt(facs, dsdt)));
    listed.push_back(place(image, acpi::build_madt(config)));
    for (const auto& extra : config.extra_tables) {
        if (extra.size() < acpi::k_header_size || load_le<uint32_t>(extra, 4) != extra.size())
            return make_error("ACPI: an extra table is malformed ({} bytes)", extra.size());
        std::vector<uint8_t> table = extra;
        acpi::fix_checksum(table);
        listed.push_back(place(image, table));
    }

    acpi::TableWriter xsdt("XSDT", 1);
    acpi::TableWriter rsdt("RSDT", 1);
    for (uint64_t address : listed) {
        xsdt.u64(address);
        rsdt.u32(static_cast<uint32_t>(address));
    }
    const uint64_t xsdt_address = place(image, xsdt.finish());
    const uint64_t rsdt_address = place(image, rsdt.finish());

    // RSDP (ACPI 6.4 §5.2.5.3), on a 16-byte boundary for the legacy scan.
    std::vector<uint8_t> rsdp(k_rsdp_size, 0);
    const char signature[] = "RSD PTR ";
    std::copy(signature, signature + 8, rsdp.begin());
    std::copy(acpi::k_oem_id.begin(), acpi::k_oem_id.end(), rsdp.begin() + 9);
    rsdp[15] = 2; // revision: ACPI 2.0+
    store_le<uint32_t>(rsdp, 16, static_cast<uint32_t>(rsdt_address));
    store_le<uint32_t>(rsdp, 20, k_rsdp_size);
    store_le<uint64_t>(rsdp, 24, xsdt_address);
    rsdp[8] = acpi::checksum_of(std::span(rsdp).first(k_rsdp_v1_size));
    rsdp[32] = acpi::checksum_of(rsdp);
    const uint64_t rsdp_address = place(image, rsdp);

    if (image.size() > pc::k_bios_area_end - pc::k_bios_area_start)
        return make_error("ACPI tables need {} KiB, more than the {} KiB BIOS area", image.size() >> 10,
            (pc::k_bios_area_end - pc::k_bios_area_start) >> 10);

    AcpiTables tables;
    tables.address = pc::k_bios_area_start;
    tables.image = std::move(image);
    tables.rsdp_address = rsdp_address;
    return tables;
}

} // namespace vireo
