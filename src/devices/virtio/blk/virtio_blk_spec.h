#pragma once
// virtio-blk wire format (virtio 1.2 §5.2): feature bits, request types and status values,
// the request header, discard/write-zeroes segments and the configuration layout.
#include <cstddef>
#include <cstdint>

namespace vireo::virtio_blk {

// Feature bits (§5.2.3).
constexpr uint64_t k_f_size_max = 1ULL << 1;
constexpr uint64_t k_f_seg_max = 1ULL << 2;
constexpr uint64_t k_f_geometry = 1ULL << 4;
constexpr uint64_t k_f_ro = 1ULL << 5;
constexpr uint64_t k_f_blk_size = 1ULL << 6;
constexpr uint64_t k_f_flush = 1ULL << 9;
constexpr uint64_t k_f_topology = 1ULL << 10;
constexpr uint64_t k_f_config_wce = 1ULL << 11;
constexpr uint64_t k_f_mq = 1ULL << 12;
constexpr uint64_t k_f_discard = 1ULL << 13;
constexpr uint64_t k_f_write_zeroes = 1ULL << 14;

// Request types (§5.2.6).
constexpr uint32_t k_t_in = 0;
constexpr uint32_t k_t_out = 1;
constexpr uint32_t k_t_flush = 4;
constexpr uint32_t k_t_get_id = 8;
constexpr uint32_t k_t_discard = 11;
constexpr uint32_t k_t_write_zeroes = 13;

// Status byte values.
constexpr uint8_t k_s_ok = 0;
constexpr uint8_t k_s_ioerr = 1;
constexpr uint8_t k_s_unsupp = 2;

// Sectors are always 512 bytes, whatever blk_size says (§5.2.6).
constexpr uint64_t k_sector_size = 512;
constexpr uint32_t k_id_bytes = 20; // GET_ID: the serial, not NUL-terminated when 20 long
constexpr uint32_t k_write_zeroes_flag_unmap = 1;

struct RequestHeader {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};
static_assert(sizeof(RequestHeader) == 16);

struct DiscardSegment {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};
static_assert(sizeof(DiscardSegment) == 16);

// struct virtio_blk_config (§5.2.4), little-endian (x86 host).
struct [[gnu::packed]] Config {
    uint64_t capacity;
    uint32_t size_max;
    uint32_t seg_max;
    uint16_t cylinders;
    uint8_t heads;
    uint8_t sectors;
    uint32_t blk_size;
    uint8_t physical_block_exp;
    uint8_t alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    uint8_t writeback;
    uint8_t unused0;
    uint16_t num_queues;
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t discard_sector_alignment;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t unused1[3];
    uint32_t max_secure_erase_sectors;
    uint32_t max_secure_erase_seg;
    uint32_t secure_erase_sector_alignment;
};
static_assert(sizeof(Config) == 72);
static_assert(offsetof(Config, num_queues) == 34);
static_assert(offsetof(Config, max_discard_sectors) == 36);
static_assert(offsetof(Config, write_zeroes_may_unmap) == 56);

} // namespace vireo::virtio_blk
