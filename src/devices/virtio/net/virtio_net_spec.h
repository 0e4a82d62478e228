#pragma once
// virtio-net wire format (virtio 1.2 §5.1): feature bits, configuration layout, header flags
// and control-queue commands. The header itself is VirtioNetHeader (net/net_backend.h).
#include <cstdint>

namespace vireo::virtio_net {

// Feature bits (§5.1.3).
constexpr uint64_t k_f_csum = 1ULL << 0;
constexpr uint64_t k_f_guest_csum = 1ULL << 1;
constexpr uint64_t k_f_mtu = 1ULL << 3;
constexpr uint64_t k_f_mac = 1ULL << 5;
constexpr uint64_t k_f_guest_tso4 = 1ULL << 7;
constexpr uint64_t k_f_guest_tso6 = 1ULL << 8;
constexpr uint64_t k_f_guest_ecn = 1ULL << 9;
constexpr uint64_t k_f_host_tso4 = 1ULL << 11;
constexpr uint64_t k_f_host_tso6 = 1ULL << 12;
constexpr uint64_t k_f_mrg_rxbuf = 1ULL << 15;
constexpr uint64_t k_f_status = 1ULL << 16;
constexpr uint64_t k_f_ctrl_vq = 1ULL << 17;
constexpr uint64_t k_f_mq = 1ULL << 22;

constexpr uint16_t k_s_link_up = 1;

// Header sizes (§5.1.6): 12 bytes with VERSION_1 or MRG_RXBUF, else the legacy 10.
constexpr uint32_t k_header_size = 12;
constexpr uint32_t k_legacy_header_size = 10;

// Control queue (§5.1.6.5).
constexpr uint8_t k_ctrl_ok = 0;
constexpr uint8_t k_ctrl_err = 1;
constexpr uint8_t k_ctrl_class_mq = 4;
constexpr uint8_t k_ctrl_mq_vq_pairs_set = 0;
constexpr uint16_t k_max_queue_pairs = 0x8000;

// struct virtio_net_config (§5.1.4), up to mtu.
struct [[gnu::packed]] Config {
    uint8_t mac[6];
    uint16_t status;
    uint16_t max_virtqueue_pairs;
    uint16_t mtu;
};
static_assert(sizeof(Config) == 12);

} // namespace vireo::virtio_net
