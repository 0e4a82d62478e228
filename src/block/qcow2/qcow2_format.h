#pragma once
// On-disk constants of the qcow2 format (QEMU docs/interop/qcow2.txt) and big-endian helpers.
#include <cstdint>
#include <cstring>
#include <map>
#include <string>

namespace vireo::qcow2 {

inline constexpr uint32_t k_magic = 0x514649fb; // "QFI\xfb"
inline constexpr uint32_t k_header_v2_length = 72;
inline constexpr uint32_t k_header_v3_min_length = 104;

// Header field offsets ("Header" section).
inline constexpr uint64_t k_off_l1_size = 36;              // followed by l1_table_offset at 40
inline constexpr uint64_t k_off_refcount_table_offset = 48; // followed by refcount_table_clusters at 56
inline constexpr uint64_t k_off_incompatible = 72;
inline constexpr uint64_t k_off_autoclear = 88;

// Incompatible feature bits.
inline constexpr uint64_t k_incompat_dirty = 1ULL << 0;
inline constexpr uint64_t k_incompat_corrupt = 1ULL << 1;
inline constexpr uint64_t k_incompat_data_file = 1ULL << 2;
inline constexpr uint64_t k_incompat_compression = 1ULL << 3;
inline constexpr uint64_t k_incompat_extended_l2 = 1ULL << 4;
inline constexpr uint64_t k_compat_lazy_refcounts = 1ULL << 0;
inline constexpr uint64_t k_autoclear_bitmaps = 1ULL << 0;

// Header extension types.
inline constexpr uint32_t k_ext_end = 0;
inline constexpr uint32_t k_ext_backing_format = 0xe2792aca;
inline constexpr uint32_t k_ext_feature_names = 0x6803f857;
inline constexpr uint32_t k_ext_bitmaps = 0x23852875;

// L1/L2/refcount-table entries ("Cluster mapping").
inline constexpr uint64_t k_copied = 1ULL << 63;
inline constexpr uint64_t k_compressed = 1ULL << 62;
inline constexpr uint64_t k_zero = 1ULL << 0;
inline constexpr uint64_t k_offset_mask = 0x00fffffffffffe00ULL; // bits 9-55
inline constexpr uint64_t k_max_l1_bytes = 32ULL << 20;          // QEMU's limits, kept for compatibility
inline constexpr uint64_t k_max_refcount_table_bytes = 8ULL << 20;

enum class CompressionType : uint8_t { Zlib = 0, Zstd = 1 };

inline uint32_t load_be32(const uint8_t* p)
{
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
inline uint64_t load_be64(const uint8_t* p) { return (uint64_t(load_be32(p)) << 32) | load_be32(p + 4); }
inline void store_be32(uint8_t* p, uint32_t v)
{
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}
inline void store_be64(uint8_t* p, uint64_t v)
{
    store_be32(p, uint32_t(v >> 32));
    store_be32(p + 4, uint32_t(v));
}

// The parsed image header and the header extensions this implementation reads.
struct Header {
    uint32_t version = 3;
    uint64_t backing_file_offset = 0;
    uint32_t backing_file_size = 0;
    uint32_t cluster_bits = 16;
    uint64_t size = 0;
    uint32_t crypt_method = 0;
    uint32_t l1_size = 0;
    uint64_t l1_table_offset = 0;
    uint64_t refcount_table_offset = 0;
    uint32_t refcount_table_clusters = 0;
    uint32_t nb_snapshots = 0;
    uint64_t snapshots_offset = 0;
    uint64_t incompatible_features = 0;
    uint64_t compatible_features = 0;
    uint64_t autoclear_features = 0;
    uint32_t refcount_order = 4;
    uint32_t header_length = k_header_v2_length;
    CompressionType compression_type = CompressionType::Zlib;

    std::string backing_file;
    std::string backing_format;                  // from the backing-format extension
    std::map<uint32_t, std::string> feature_names; // key: (type << 8) | bit
    bool has_bitmaps_extension = false;

    [[nodiscard]] uint64_t cluster_size() const { return 1ULL << cluster_bits; }
};

} // namespace vireo::qcow2
