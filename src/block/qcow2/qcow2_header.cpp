#include "block/qcow2/qcow2_header.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "block/aligned_io.h"
#include "block/file_io.h"

namespace vireo::qcow2 {

namespace {

struct FreeBytes {
    void operator()(uint8_t* bytes) const { std::free(bytes); }
};

} // namespace

bool has_qcow2_magic(std::span<const uint8_t> bytes)
{
    return bytes.size() >= 4 && load_be32(bytes.data()) == k_magic;
}

uint64_t l1_entries_for(uint64_t size, uint32_t cluster_bits)
{
    uint64_t cluster_size = 1ULL << cluster_bits;
    uint64_t clusters = size / cluster_size + (size % cluster_size != 0);
    uint64_t l2_entries = cluster_size / 8;
    return clusters / l2_entries + (clusters % l2_entries != 0);
}

Result<Header> read_header(int fd, uint64_t file_size, const std::string& name)
{
    if (file_size < k_header_v2_length)
        return make_error("{}: image is truncated (no complete qcow2 header)", name);
    uint64_t alignment = direct_io_alignment(fd); // cache=none opens it O_DIRECT
    uint8_t fixed[k_header_v2_length];
    if (int err = pread_aligned(fd, alignment, fixed, 0); err < 0) {
        errno = -err;
        return errno_error("{}: cannot read the header", name);
    }
    uint32_t cluster_bits = load_be32(fixed + 20);
    if (load_be32(fixed) != k_magic)
        return make_error("{}: not a qcow2 image (bad magic)", name);
    if (cluster_bits < 9 || cluster_bits > 21)
        return make_error("{}: unsupported cluster size (cluster_bits {}, must be 9..21)", name, cluster_bits);
    // The whole first cluster is parsed (up to 2 MiB), but only what the file holds of it is
    // read: calloc's fresh pages are the zeros a read past the end would give, without zeroing
    // and faulting in 2 MiB at every open (a quarter of the qcow2 fuzz target's time).
    const uint64_t cluster_size = 1ULL << cluster_bits;
    std::unique_ptr<uint8_t, FreeBytes> cluster(static_cast<uint8_t*>(std::calloc(cluster_size, 1)));
    if (!cluster)
        return make_error("{}: out of memory for the header cluster ({} bytes)", name, cluster_size);
    const uint64_t block = std::max<uint64_t>(alignment, 1);
    const uint64_t held = std::min(cluster_size, (file_size + block - 1) / block * block);
    if (int err = pread_aligned(fd, alignment, std::span(cluster.get(), held), 0); err < 0) {
        errno = -err;
        return errno_error("{}: cannot read the header", name);
    }
    return parse_header(std::span(cluster.get(), cluster_size), file_size, name);
}

namespace {

std::string feature_name(const Header& header, uint32_t type, uint32_t bit)
{
    if (type == 0) {
        switch (1ULL << bit) {
        case k_incompat_data_file:
            return "external data file";
        case k_incompat_extended_l2:
            return "extended L2 entries";
        default:
            break;
        }
    }
    auto it = header.feature_names.find((type << 8) | bit);
    if (it != header.feature_names.end() && !it->second.empty())
        return it->second;
    return fmt::format("unknown incompatible feature bit {}", bit);
}

Result<void> parse_extensions(Header& h, std::span<const uint8_t> cluster, const std::string& name)
{
    uint64_t pos = h.header_length;
    while (pos + 8 <= cluster.size()) {
        uint32_t type = load_be32(cluster.data() + pos);
        uint32_t length = load_be32(cluster.data() + pos + 4);
        pos += 8;
        if (type == k_ext_end)
            return {};
        if (length > cluster.size() - pos)
            return make_error("{}: header extension 0x{:08x} runs past the first cluster", name, type);
        auto data = cluster.subspan(pos, length);
        switch (type) {
        case k_ext_backing_format:
            h.backing_format.assign(data.begin(), data.end());
            break;
        case k_ext_feature_names:
            for (size_t i = 0; i + 48 <= data.size(); i += 48) {
                const char* text = reinterpret_cast<const char*>(data.data() + i + 2);
                h.feature_names[(uint32_t(data[i]) << 8) | data[i + 1]] = std::string(text, strnlen(text, 46));
            }
            break;
        case k_ext_bitmaps:
            h.has_bitmaps_extension = true;
            break;
        default:
            break; // unknown extensions are left in place untouched (we never rewrite them)
        }
        pos += (uint64_t(length) + 7) & ~7ULL;
    }
    return {};
}

} // namespace

Result<Header> parse_header(std::span<const uint8_t> c, uint64_t file_size, const std::string& name)
{
    if (c.size() < k_header_v2_length || file_size < k_header_v2_length)
        return make_error("{}: image is truncated (no complete qcow2 header)", name);
    if (!has_qcow2_magic(c))
        return make_error("{}: not a qcow2 image (bad magic)", name);
    Header h;
    const uint8_t* p = c.data();
    h.version = load_be32(p + 4);
    h.backing_file_offset = load_be64(p + 8);
    h.backing_file_size = load_be32(p + 16);
    h.cluster_bits = load_be32(p + 20);
    h.size = load_be64(p + 24);
    h.crypt_method = load_be32(p + 32);
    h.l1_size = load_be32(p + 36);
    h.l1_table_offset = load_be64(p + 40);
    h.refcount_table_offset = load_be64(p + 48);
    h.refcount_table_clusters = load_be32(p + 56);
    h.nb_snapshots = load_be32(p + 60);
    h.snapshots_offset = load_be64(p + 64);

    if (h.version != 2 && h.version != 3)
        return make_error("{}: unsupported qcow2 version {}", name, h.version);
    if (h.cluster_bits < 9 || h.cluster_bits > 21)
        return make_error("{}: unsupported cluster size (cluster_bits {}, must be 9..21)", name, h.cluster_bits);
    uint64_t cs = h.cluster_size();
    if (c.size() < cs && c.size() < file_size)
        return make_error("{}: internal error: header cluster not read", name);

    if (h.version == 3) {
        if (c.size() < k_header_v3_min_length)
            return make_error("{}: image is truncated (no complete qcow2 header)", name);
        h.incompatible_features = load_be64(p + 72);
        h.compatible_features = load_be64(p + 80);
        h.autoclear_features = load_be64(p + 88);
        h.refcount_order = load_be32(p + 96);
        h.header_length = load_be32(p + 100);
        if (h.header_length < k_header_v3_min_length || h.header_length % 8 != 0 || h.header_length > cs
            || h.header_length > c.size())
            return make_error("{}: invalid header length {}", name, h.header_length);
        if (h.header_length > 104)
            h.compression_type = static_cast<CompressionType>(p[104]);
    }
    if (h.refcount_order > 6)
        return make_error("{}: invalid refcount order {} (must be 0..6)", name, h.refcount_order);

    TRY(parse_extensions(h, c.first(std::min<size_t>(c.size(), cs)), name));

    // Incompatible features: refuse anything we do not implement (spec: "An implementation
    // must fail to open an image if an unknown bit is set").
    uint64_t known = k_incompat_dirty | k_incompat_corrupt | k_incompat_compression;
    if (uint64_t unknown = h.incompatible_features & ~known) {
        uint32_t bit = static_cast<uint32_t>(__builtin_ctzll(unknown));
        return make_error("{}: unsupported qcow2 feature: {}", name, feature_name(h, 0, bit));
    }
    bool compression_bit = h.incompatible_features & k_incompat_compression;
    if (compression_bit != (h.compression_type != CompressionType::Zlib))
        return make_error("{}: compression type field and feature bit disagree", name);
    if (h.compression_type != CompressionType::Zlib && h.compression_type != CompressionType::Zstd)
        return make_error("{}: unsupported qcow2 feature: compression type {}", name, static_cast<int>(h.compression_type));
    if (h.crypt_method != 0)
        return make_error("{}: unsupported qcow2 feature: encryption", name);

    if (h.size > (1ULL << 62))
        return make_error("{}: virtual size {} is too large", name, h.size);

    auto inside_file = [&](uint64_t offset, uint64_t length) {
        return offset <= file_size && length <= file_size - offset;
    };
    // L1 table.
    if (uint64_t(h.l1_size) * 8 > k_max_l1_bytes)
        return make_error("{}: L1 table is too large ({} entries)", name, h.l1_size);
    if (h.l1_size > 0) {
        if (h.l1_table_offset % cs != 0)
            return make_error("{}: L1 table offset 0x{:x} is not cluster aligned", name, h.l1_table_offset);
        if (!inside_file(h.l1_table_offset, uint64_t(h.l1_size) * 8))
            return make_error("{}: L1 table (offset 0x{:x}) lies past the end of the file", name, h.l1_table_offset);
    }
    // Refcount table.
    if (h.refcount_table_clusters == 0)
        return make_error("{}: image has no refcount table", name);
    if (uint64_t(h.refcount_table_clusters) * cs > k_max_refcount_table_bytes)
        return make_error("{}: refcount table is too large ({} clusters)", name, h.refcount_table_clusters);
    if (h.refcount_table_offset % cs != 0)
        return make_error("{}: refcount table offset 0x{:x} is not cluster aligned", name, h.refcount_table_offset);
    if (!inside_file(h.refcount_table_offset, uint64_t(h.refcount_table_clusters) * cs))
        return make_error("{}: refcount table (offset 0x{:x}) lies past the end of the file", name, h.refcount_table_offset);
    // Snapshots (kept intact, never parsed beyond this).
    if (h.nb_snapshots > 0 && (h.snapshots_offset % cs != 0 || h.snapshots_offset >= file_size))
        return make_error("{}: invalid snapshot table offset 0x{:x}", name, h.snapshots_offset);
    // Backing file name: must lie in the first cluster.
    if (h.backing_file_offset != 0) {
        if (h.backing_file_size > 1023 || h.backing_file_size == 0)
            return make_error("{}: invalid backing file name length {}", name, h.backing_file_size);
        if (h.backing_file_offset > cs - h.backing_file_size || h.backing_file_offset + h.backing_file_size > c.size())
            return make_error("{}: backing file name lies outside the header cluster", name);
        h.backing_file.assign(c.begin() + static_cast<std::ptrdiff_t>(h.backing_file_offset),
            c.begin() + static_cast<std::ptrdiff_t>(h.backing_file_offset + h.backing_file_size));
    }
    return h;
}

} // namespace vireo::qcow2
