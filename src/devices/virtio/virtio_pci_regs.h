#pragma once
// virtio over PCI, modern interface (virtio 1.2 §4.1): capability types, the common
// configuration layout and the BAR layout Vireo uses.
#include <cstdint>

namespace vireo::virtio_pci {

constexpr uint16_t k_vendor_id = 0x1af4;
constexpr uint16_t k_device_id_base = 0x1040; // + device type (§4.1.2)
constexpr uint8_t k_revision = 1;              // non-transitional
constexpr uint16_t k_subsystem_id = 0x1100;    // >= 0x40 for non-transitional devices (§4.1.2.1)

// virtio_pci_cap.cfg_type (§4.1.4).
constexpr uint8_t k_cap_common_cfg = 1;
constexpr uint8_t k_cap_notify_cfg = 2;
constexpr uint8_t k_cap_isr_cfg = 3;
constexpr uint8_t k_cap_device_cfg = 4;
constexpr uint8_t k_cap_pci_cfg = 5;

// struct virtio_pci_common_cfg (§4.1.4.3).
constexpr uint32_t k_device_feature_select = 0x00;
constexpr uint32_t k_device_feature = 0x04;
constexpr uint32_t k_driver_feature_select = 0x08;
constexpr uint32_t k_driver_feature = 0x0c;
constexpr uint32_t k_config_msix_vector = 0x10;
constexpr uint32_t k_num_queues = 0x12;
constexpr uint32_t k_device_status = 0x14;
constexpr uint32_t k_config_generation = 0x15;
constexpr uint32_t k_queue_select = 0x16;
constexpr uint32_t k_queue_size = 0x18;
constexpr uint32_t k_queue_msix_vector = 0x1a;
constexpr uint32_t k_queue_enable = 0x1c;
constexpr uint32_t k_queue_notify_off = 0x1e;
constexpr uint32_t k_queue_desc = 0x20;
constexpr uint32_t k_queue_driver = 0x28;
constexpr uint32_t k_queue_device = 0x30;
constexpr uint32_t k_common_cfg_size = 0x38;

constexpr uint16_t k_no_vector = 0xffff;

// ISR status bits (§4.1.4.5).
constexpr uint8_t k_isr_queue = 1;
constexpr uint8_t k_isr_config = 2;

// Vireo's layout of BAR 0 (32-bit memory): one 4 KiB page per structure.
constexpr int k_bar = 0;
constexpr uint64_t k_bar_size = 0x8000;
constexpr uint32_t k_common_offset = 0x0000;
constexpr uint32_t k_isr_offset = 0x1000;
constexpr uint32_t k_device_cfg_offset = 0x2000;
constexpr uint32_t k_device_cfg_max = 0x1000;
constexpr uint32_t k_msix_table_offset = 0x4000;
constexpr uint32_t k_msix_pba_offset = 0x6000;
// Queue notifications go to an I/O BAR instead (§4.1.4.4 allows any BAR): a port write exits with
// the port, size and next RIP in the exit information, while an MMIO write has to be decoded by
// the hypervisor's instruction emulator, which is slow, or missing (without decode assists, as in
// nested KVM). notify_off_multiplier 0: every queue writes its index to port 0 of the BAR, and
// the ioeventfds tell queues apart by the value (datamatch).
constexpr int k_notify_bar = 2;
constexpr uint64_t k_notify_bar_size = 4;
constexpr uint32_t k_notify_length = 2;
constexpr uint16_t k_max_queues = 256; // MSI-X vectors: one per queue plus config must fit the table

} // namespace vireo::virtio_pci
