#include "block/qcow2/qcow2_create.h"

#include <unistd.h>

#include <vector>

#include "block/file_io.h"
#include "block/qcow2/qcow2_format.h"
#include "block/qcow2/qcow2_header.h"

namespace vireo::qcow2 {

// Layout: cluster 0 header, 1 refcount table, 2 refcount block, 3.. L1 table.
Result<void> create_image(int fd, const CreateOptions& o)
{
    if (o.cluster_bits < 9 || o.cluster_bits > 21 || o.refcount_order > 6)
        return make_error("qcow2 create: invalid cluster size or refcount width");
    uint64_t cs = 1ULL << o.cluster_bits;
    uint64_t l1_entries = l1_entries_for(o.size, o.cluster_bits);
    uint64_t l1_clusters = std::max<uint64_t>(1, (l1_entries * 8 + cs - 1) / cs);
    uint64_t used = 3 + l1_clusters;
    uint64_t refcount_bits = 1ULL << o.refcount_order;
    if (used > cs * 8 / refcount_bits || l1_entries * 8 > k_max_l1_bytes)
        return make_error("qcow2 create: image too large for a single refcount block");

    std::vector<uint8_t> image(used * cs, 0);
    uint8_t* h = image.data();
    store_be32(h + 0, k_magic);
    store_be32(h + 4, 3);
    store_be32(h + 20, o.cluster_bits);
    store_be64(h + 24, o.size);
    store_be32(h + 36, static_cast<uint32_t>(l1_entries));
    store_be64(h + 40, 3 * cs);
    store_be64(h + 48, 1 * cs);
    store_be32(h + 56, 1);
    store_be32(h + 96, o.refcount_order);
    store_be32(h + 100, 112);
    uint64_t pos = 112;
    if (!o.backing_format.empty()) {
        store_be32(h + pos, k_ext_backing_format);
        store_be32(h + pos + 4, static_cast<uint32_t>(o.backing_format.size()));
        std::memcpy(h + pos + 8, o.backing_format.data(), o.backing_format.size());
        pos += 8 + ((o.backing_format.size() + 7) & ~7ULL);
    }
    pos += 8; // end-of-extensions marker (zeros)
    if (!o.backing_file.empty()) {
        if (o.backing_file.size() > 1023 || pos + o.backing_file.size() > cs)
            return make_error("qcow2 create: backing file name too long");
        store_be64(h + 8, pos);
        store_be32(h + 16, static_cast<uint32_t>(o.backing_file.size()));
        std::memcpy(h + pos, o.backing_file.data(), o.backing_file.size());
    }
    // Refcount table entry 0 -> block at cluster 2; the block counts every used cluster once.
    store_be64(image.data() + cs, 2 * cs);
    uint8_t* block = image.data() + 2 * cs;
    for (uint64_t cluster = 0; cluster < used; ++cluster) {
        uint64_t bit = cluster * refcount_bits;
        if (refcount_bits < 8)
            block[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
        else
            block[bit / 8 + refcount_bits / 8 - 1] = 1; // big-endian 1
    }
    if (int err = pwrite_full(fd, image, 0); err < 0) {
        errno = -err;
        return errno_error("qcow2 create: write");
    }
    if (::ftruncate(fd, static_cast<off_t>(image.size())) < 0)
        return errno_error("qcow2 create: ftruncate");
    return {};
}

} // namespace vireo::qcow2
