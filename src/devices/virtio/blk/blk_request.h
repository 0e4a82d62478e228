#pragma once
// Turns one virtio-blk descriptor chain into disk requests (virtio 1.2 §5.2.6): validates the
// header, the status byte, the data length and the sector range against the disk, and the
// discard/write-zeroes segments. Pure: touches no guest memory except reading the chain.
#include <cstdint>
#include <vector>

#include "block/disk_image.h"
#include "devices/virtio/blk/virtio_blk_spec.h"
#include "devices/virtio/queue.h"

namespace vireo {

struct BlkLimits {
    uint64_t capacity_sectors = 0;
    bool read_only = false;
    bool discard = false;      // VIRTIO_BLK_F_DISCARD negotiated
    bool write_zeroes = false; // VIRTIO_BLK_F_WRITE_ZEROES negotiated
    uint32_t max_discard_sectors = 0;
    uint32_t max_discard_seg = 1;
    uint32_t max_write_zeroes_sectors = 0;
    uint32_t max_write_zeroes_seg = 1;
};

struct BlkRequest {
    // False when the chain has no writable byte for the status: nothing can be reported to
    // the driver, the device needs a reset (virtio 1.2 §2.1.2).
    bool has_status = false;
    uint64_t status_offset = 0;  // of the status byte in the chain's writable part
    uint32_t type = 0;
    uint8_t status = virtio_blk::k_s_ok; // not OK: complete at once with this status
    std::vector<DiskRequest> disk;       // to submit when status is OK (may be empty: done)
    uint32_t data_in_length = 0;         // bytes written into the guest before the status (IN, GET_ID)
};

[[nodiscard]] BlkRequest parse_blk_request(const DescriptorChain& chain, const BlkLimits& limits);

} // namespace vireo
