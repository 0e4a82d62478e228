#pragma once
// PCI configuration space layout, type 0 header (PCI Local Bus 3.0 §6.1, §6.2) and capability
// ids (§6.7, §6.8). Offsets are into the 256-byte space.
#include <cstdint>

namespace vireo::pci {

constexpr uint16_t k_config_size = 256;

constexpr uint16_t k_vendor_id = 0x00;
constexpr uint16_t k_device_id = 0x02;
constexpr uint16_t k_command = 0x04;
constexpr uint16_t k_status = 0x06;
constexpr uint16_t k_revision_id = 0x08;
constexpr uint16_t k_prog_if = 0x09;
constexpr uint16_t k_subclass = 0x0a;
constexpr uint16_t k_class_code = 0x0b;
constexpr uint16_t k_header_type = 0x0e;
constexpr uint16_t k_bar0 = 0x10;
constexpr uint16_t k_subsystem_vendor_id = 0x2c;
constexpr uint16_t k_subsystem_id = 0x2e;
constexpr uint16_t k_expansion_rom = 0x30; // bits 31:11 address, bit 0 enable (§6.2.5.2)
constexpr uint16_t k_capabilities_pointer = 0x34;
constexpr uint16_t k_interrupt_line = 0x3c;
constexpr uint16_t k_interrupt_pin = 0x3d;
constexpr uint16_t k_first_capability = 0x40;

constexpr uint16_t k_command_io = 1 << 0;
constexpr uint16_t k_command_memory = 1 << 1;
constexpr uint16_t k_command_bus_master = 1 << 2;
constexpr uint16_t k_command_intx_disable = 1 << 10;

constexpr uint16_t k_status_interrupt = 1 << 3;
constexpr uint16_t k_status_capabilities = 1 << 4;

constexpr uint32_t k_bar_io = 1 << 0;            // bit 0: I/O space BAR
constexpr uint32_t k_bar_memory_64 = 2 << 1;     // bits 2:1 = 10b: 64-bit memory BAR
constexpr uint32_t k_bar_prefetchable = 1 << 3;
constexpr uint32_t k_rom_enable = 1 << 0;
constexpr uint32_t k_rom_address_mask = 0xffff'f800;

constexpr uint8_t k_cap_msix = 0x11;
constexpr uint8_t k_cap_vendor = 0x09;

constexpr int k_bar_count = 6;

} // namespace vireo::pci
