#include "machine/firmware/smbios.h"

#include <algorithm>

#include <fmt/format.h>

#include "machine/boot/le_bytes.h"

namespace vireo::smbios {

namespace {

constexpr uint64_t KiB = 1024;
constexpr uint64_t MiB = 1024 * KiB;
constexpr uint64_t GiB = 1024 * MiB;
constexpr uint64_t k_dimm_size = 16 * GiB; // type 17: RAM is split into devices this big

// Handles as QEMU numbers them: 0x100 per type, then the instance.
constexpr uint16_t k_handle_type0 = 0x0000;
constexpr uint16_t k_handle_type1 = 0x0100;
constexpr uint16_t k_handle_type3 = 0x0300;
constexpr uint16_t k_handle_type4 = 0x0400;
constexpr uint16_t k_handle_type16 = 0x1000;
constexpr uint16_t k_handle_type17 = 0x1100;
constexpr uint16_t k_handle_type19 = 0x1300;
constexpr uint16_t k_handle_type32 = 0x2000;
constexpr uint16_t k_handle_type127 = 0x7f00;
constexpr uint32_t k_max_instances = 0x100; // before the next type's handles

constexpr uint16_t k_no_error_info = 0xfffe; // "not provided"
constexpr uint16_t k_unknown16 = 0xffff;

// One structure (DSP0134 §6.1.2): the formatted area, then its strings, each NUL-terminated,
// then one more NUL (two NULs when there are no strings).
class Structure {
public:
    Structure(uint8_t type, uint8_t length, uint16_t handle)
        : m_bytes(length, 0)
    {
        m_bytes[0] = type;
        m_bytes[1] = length;
        u16(2, handle);
    }

    void u8(size_t at, uint8_t value) { m_bytes[at] = value; }
    void u16(size_t at, uint16_t value) { store_le(std::span(m_bytes), at, value); }
    void u32(size_t at, uint32_t value) { store_le(std::span(m_bytes), at, value); }
    void u64(size_t at, uint64_t value) { store_le(std::span(m_bytes), at, value); }

    // A string field: its number among the strings, or 0 for none (empty strings are none).
    void string(size_t at, const std::optional<std::string>& text)
    {
        if (!text)
            return;
        const std::string_view value(text->data(), std::min(text->size(), text->find('\0')));
        if (value.empty())
            return;
        m_strings.insert(m_strings.end(), value.begin(), value.end());
        m_strings.push_back(0);
        m_bytes[at] = ++m_string_count;
    }

    std::vector<uint8_t> finish()
    {
        std::vector<uint8_t> out = std::move(m_bytes);
        out.insert(out.end(), m_strings.begin(), m_strings.end());
        out.push_back(0);
        if (m_string_count == 0)
            out.push_back(0);
        return out;
    }

private:
    std::vector<uint8_t> m_bytes;
    std::vector<uint8_t> m_strings;
    uint8_t m_string_count = 0;
};

template<typename T>
const std::optional<T>& either(const std::optional<T>& first, const std::optional<T>& second)
{
    return first ? first : second;
}

// Type 0, BIOS Information (§7.1), with QEMU's values for what -smbios does not give.
Structure bios_information(const Type0Fields& fields)
{
    Structure s(0, 0x18, k_handle_type0);
    s.string(4, fields.vendor);
    s.string(5, fields.version);
    s.u16(6, 0xe800); // starting address segment, as SeaBIOS reports it
    s.string(8, fields.date);
    s.u8(9, 0);       // ROM size: SeaBIOS leaves it 0 as well
    s.u64(10, 0x08);  // characteristics: "not supported"
    s.u8(18, 0);
    s.u8(19, 0x14 | (fields.uefi ? 0x08 : 0)); // targeted content distribution, VM (, UEFI)
    s.u8(20, fields.release ? (*fields.release)[0] : 0);
    s.u8(21, fields.release ? (*fields.release)[1] : 0);
    s.u8(22, 0xff); // no embedded controller
    s.u8(23, 0xff);
    return s;
}

// Type 1, System Information (§7.2).
Structure system_information(const SmbiosConfig& config)
{
    const auto& fields = config.type1;
    Structure s(1, 0x1b, k_handle_type1);
    s.string(4, either(fields.manufacturer, std::optional(config.manufacturer)));
    s.string(5, either(fields.product, std::optional(config.product)));
    s.string(6, either(fields.version, std::optional(config.version)));
    s.string(7, fields.serial);
    if (const auto& uuid = either(fields.uuid, config.uuid)) {
        const Uuid encoded = encode_uuid(*uuid);
        for (size_t i = 0; i < encoded.size(); ++i)
            s.u8(8 + i, encoded[i]);
    }
    s.u8(24, 0x06); // wake-up type: power switch
    s.string(25, fields.sku);
    s.string(26, fields.family);
    return s;
}

// Type 3, System Enclosure (§7.4).
Structure system_enclosure(const SmbiosConfig& config)
{
    Structure s(3, 0x16, k_handle_type3);
    s.string(4, config.manufacturer);
    s.u8(5, 0x01); // type: other
    s.string(6, config.version);
    s.u8(9, 0x03);  // boot-up state: safe
    s.u8(10, 0x03); // power supply state: safe
    s.u8(11, 0x03); // thermal state: safe
    s.u8(12, 0x02); // security status: unknown
    return s;
}

// Type 4, Processor Information (§7.5), one per socket.
Structure processor(const SmbiosConfig& config, uint32_t socket)
{
    Structure s(4, 0x2a, static_cast<uint16_t>(k_handle_type4 + socket));
    s.string(4, fmt::format("CPU{:2x}", socket));
    s.u8(5, 0x03); // central processor
    s.u8(6, 0x01); // family: other
    s.string(7, config.manufacturer);
    s.u32(8, config.cpuid_signature);
    s.u32(12, config.cpuid_features);
    s.string(16, config.version);
    s.u16(20, 2000); // max speed, MHz (SVVP wants a known value)
    s.u16(22, 2000); // current speed
    s.u8(24, 0x41);  // socket populated, CPU enabled
    s.u8(25, 0x01);  // upgrade: other
    s.u16(26, k_unknown16); // no cache structures
    s.u16(28, k_unknown16);
    s.u16(30, k_unknown16);
    const auto cores = static_cast<uint8_t>(std::min<uint32_t>(config.topology.cores, 0xff));
    s.u8(35, cores);
    s.u8(36, cores);
    s.u8(37, static_cast<uint8_t>(std::min<uint32_t>(config.topology.cores * config.topology.threads, 0xff)));
    s.u16(38, 0x02); // characteristics: unknown
    s.u16(40, 0x01); // family 2: other
    return s;
}

// Type 16, Physical Memory Array (§7.17).
Structure memory_array(uint64_t ram_size, uint32_t devices)
{
    Structure s(16, 0x17, k_handle_type16);
    s.u8(4, 0x01); // location: other
    s.u8(5, 0x03); // use: system memory
    s.u8(6, 0x06); // multi-bit ECC
    const uint64_t size_kib = (ram_size + KiB - 1) / KiB;
    if (size_kib < 0x8000'0000) {
        s.u32(7, static_cast<uint32_t>(size_kib));
    } else {
        s.u32(7, 0x8000'0000); // see the extended field, in bytes
        s.u64(15, ram_size);
    }
    s.u16(11, k_no_error_info);
    s.u16(13, static_cast<uint16_t>(devices));
    return s;
}

// Type 17, Memory Device (§7.18).
Structure memory_device(const SmbiosConfig& config, uint32_t index, uint64_t size)
{
    Structure s(17, 0x28, static_cast<uint16_t>(k_handle_type17 + index));
    s.u16(4, k_handle_type16);
    s.u16(6, k_no_error_info);
    s.u16(8, k_unknown16);  // total width
    s.u16(10, k_unknown16); // data width
    const uint64_t size_mib = (size + MiB - 1) / MiB;
    if (size_mib < 0x7fff) {
        s.u16(12, static_cast<uint16_t>(size_mib));
    } else {
        s.u16(12, 0x7fff); // see the extended size
        s.u32(28, static_cast<uint32_t>(size_mib));
    }
    s.u8(14, 0x09); // form factor: DIMM
    s.string(16, fmt::format("DIMM {}", index));
    s.u8(18, 0x07);  // type: RAM
    s.u16(19, 0x02); // type detail: other
    s.string(23, config.manufacturer);
    return s;
}

// Type 19, Memory Array Mapped Address (§7.20), one per RAM region.
Structure mapped_address(uint32_t index, const GuestRegionSpec& region)
{
    Structure s(19, 0x1f, static_cast<uint16_t>(k_handle_type19 + index));
    const uint64_t end = region.start + region.size - 1;
    if (region.start / KiB < UINT32_MAX && end / KiB < UINT32_MAX) {
        s.u32(4, static_cast<uint32_t>(region.start / KiB));
        s.u32(8, static_cast<uint32_t>(end / KiB));
    } else {
        s.u32(4, UINT32_MAX); // see the extended addresses, in bytes
        s.u32(8, UINT32_MAX);
        s.u64(15, region.start);
        s.u64(23, end);
    }
    s.u16(12, k_handle_type16);
    s.u8(14, 1); // partition width
    return s;
}

// Type 32, System Boot Information (§7.33): no errors.
Structure boot_information() { return Structure(32, 0x0b, k_handle_type32); }

} // namespace

Uuid encode_uuid(const Uuid& rfc4122)
{
    Uuid out = rfc4122;
    std::reverse(out.begin(), out.begin() + 4); // time_low
    std::reverse(out.begin() + 4, out.begin() + 6); // time_mid
    std::reverse(out.begin() + 6, out.begin() + 8); // time_hi_and_version
    return out;
}

Result<Files> build_smbios(const SmbiosConfig& config)
{
    const uint32_t per_socket = config.topology.cores * config.topology.threads;
    if (config.cpus == 0 || per_socket == 0)
        return make_error("SMBIOS: no CPUs");
    if (config.ram_size == 0 || config.ram_regions.empty())
        return make_error("SMBIOS: no RAM");
    const uint32_t sockets = (config.cpus + per_socket - 1) / per_socket;
    const uint64_t dimms = (config.ram_size + k_dimm_size - 1) / k_dimm_size;
    if (sockets > k_max_instances || dimms > k_max_instances || config.ram_regions.size() > k_max_instances)
        return make_error("SMBIOS: too many sockets, memory devices or RAM regions");
    for (const auto& region : config.ram_regions)
        if (region.size == 0 || region.start + region.size < region.start)
            return make_error("SMBIOS: bad RAM region at {:#x}", region.start);

    std::vector<Structure> structures;
    if (config.type0.any())
        structures.push_back(bios_information(config.type0));
    structures.push_back(system_information(config));
    structures.push_back(system_enclosure(config));
    for (uint32_t socket = 0; socket < sockets; ++socket)
        structures.push_back(processor(config, socket));
    structures.push_back(memory_array(config.ram_size, static_cast<uint32_t>(dimms)));
    for (uint32_t i = 0; i < dimms; ++i) {
        const uint64_t size = i + 1 < dimms ? k_dimm_size : (config.ram_size - 1) % k_dimm_size + 1;
        structures.push_back(memory_device(config, i, size));
    }
    for (uint32_t i = 0; i < config.ram_regions.size(); ++i)
        structures.push_back(mapped_address(i, config.ram_regions[i]));
    structures.push_back(boot_information());
    structures.push_back(Structure(127, 4, k_handle_type127)); // end of table

    Files files;
    size_t largest = 0;
    for (auto& structure : structures) {
        auto bytes = structure.finish();
        largest = std::max(largest, bytes.size());
        files.tables.insert(files.tables.end(), bytes.begin(), bytes.end());
    }
    // The 2.1 entry point holds a 16-bit length; SeaBIOS checks the file against it.
    if (files.tables.size() > 0xffff)
        return make_error("SMBIOS: {} bytes of structures, more than a 2.x entry point describes", files.tables.size());

    // The 32-bit entry point (§5.2.1); the firmware fills in the table address.
    auto& anchor = files.anchor;
    anchor.assign(k_anchor_size, 0);
    std::copy_n("_SM_", 4, anchor.begin());
    anchor[5] = k_anchor_size;
    anchor[6] = 2; // version 2.8
    anchor[7] = 8;
    store_le<uint16_t>(anchor, 8, static_cast<uint16_t>(largest));
    std::copy_n("_DMI_", 5, anchor.begin() + 16);
    store_le<uint16_t>(anchor, 22, static_cast<uint16_t>(files.tables.size()));
    store_le<uint32_t>(anchor, 24, 0);
    store_le<uint16_t>(anchor, 28, static_cast<uint16_t>(structures.size()));
    anchor[30] = 0x28; // BCD revision
    uint8_t sum = 0;
    for (size_t i = 16; i < k_anchor_size; ++i)
        sum = static_cast<uint8_t>(sum + anchor[i]);
    anchor[21] = static_cast<uint8_t>(-sum); // intermediate checksum over the "_DMI_" part
    sum = 0;
    for (uint8_t byte : anchor)
        sum = static_cast<uint8_t>(sum + byte);
    anchor[4] = static_cast<uint8_t>(-sum);
    return files;
}

} // namespace vireo::smbios
