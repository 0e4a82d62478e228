#pragma once
// SMBIOS 2.8 tables as QEMU hands them to the firmware (DMTF DSP0134 2.8): the fw_cfg files
// etc/smbios/smbios-anchor (a 31-byte "_SM_" entry point whose table address is 0) and
// etc/smbios/smbios-tables (the structures). SeaBIOS copies the structures, fills in their
// address, fixes both entry-point checksums and, when there is no type 0 structure, adds its
// own (src/fw/biostables.c); OVMF does the same. So, as with QEMU, type 0 is built only when
// type-0 fields were given (-smbios type=0,...).
//
// Structures: 0 (optional), 1, 3, 4 (one per socket), 16, 17 (one per started 16 GiB),
// 19 (one per RAM region), 32 and 127, with QEMU's handles (0x100 * type + instance) and
// QEMU's values for everything the command line does not set.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "machine/cpuid.h"
#include "memory/guest_memory.h"

namespace vireo::smbios {

constexpr std::string_view k_anchor_file = "etc/smbios/smbios-anchor";
constexpr std::string_view k_tables_file = "etc/smbios/smbios-tables";
constexpr size_t k_anchor_size = 31;

using Uuid = std::array<uint8_t, 16>; // RFC 4122 byte order, as -uuid is written

// -smbios type=0,vendor=,version=,date=,release=MAJOR.MINOR,uefi=on
struct Type0Fields {
    std::optional<std::string> vendor;
    std::optional<std::string> version;
    std::optional<std::string> date;
    std::optional<std::array<uint8_t, 2>> release; // system BIOS major, minor
    bool uefi = false;

    [[nodiscard]] bool any() const { return vendor || version || date || release || uefi; }
};

// -smbios type=1,manufacturer=,product=,version=,serial=,uuid=,sku=,family=
struct Type1Fields {
    std::optional<std::string> manufacturer;
    std::optional<std::string> product;
    std::optional<std::string> version;
    std::optional<std::string> serial;
    std::optional<Uuid> uuid; // overrides -uuid, as in QEMU
    std::optional<std::string> sku;
    std::optional<std::string> family;
};

struct SmbiosConfig {
    // Defaults for types 1, 3, 4 and 17 (QEMU's smbios_set_defaults): QEMU's own names, which
    // guests and tools use to recognise the platform.
    std::string manufacturer = "QEMU";
    std::string product = "Standard PC (i440FX + PIIX, 1996)";
    std::string version = "pc-i440fx-7.2"; // the machine type's versioned name
    std::optional<Uuid> uuid;              // -uuid
    Type0Fields type0;
    Type1Fields type1;

    uint32_t cpus = 1;          // -smp cpus: type 4 count = ceil(cpus / (cores * threads))
    CpuTopology topology;       // cores and threads per socket
    uint32_t cpuid_signature = 0; // CPUID.1:EAX, type 4's processor ID (low half)
    uint32_t cpuid_features = 0;  // CPUID.1:EDX (high half)
    uint64_t ram_size = 0;      // all RAM: types 16 and 17
    std::vector<GuestRegionSpec> ram_regions; // type 19, one each
};

struct Files {
    std::vector<uint8_t> anchor; // etc/smbios/smbios-anchor
    std::vector<uint8_t> tables; // etc/smbios/smbios-tables
};

[[nodiscard]] Result<Files> build_smbios(const SmbiosConfig& config);

// The SMBIOS 2.6+ wire form of a UUID: the first three fields little-endian.
[[nodiscard]] Uuid encode_uuid(const Uuid& rfc4122);

} // namespace vireo::smbios
