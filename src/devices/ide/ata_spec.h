#pragma once
// ATA/ATAPI register layout, status and error bits, command codes (ATA8-ACS; ATA/ATAPI-6 for
// the register-level protocol and the reset signatures), the SFF-8038i bus-master registers,
// and the SCSI/MMC opcodes and sense codes the ATAPI CD-ROM answers (SPC-3, MMC-5).
#include <cstdint>

namespace vireo::ata {

// Command block registers: offsets from 0x1f0 / 0x170 (ATA/ATAPI-6 §7.1).
enum class Reg : uint8_t {
    Data = 0,
    ErrorFeature = 1,
    Count = 2,
    LbaLow = 3,
    LbaMid = 4,
    LbaHigh = 5,
    Device = 6,
    StatusCommand = 7,
};
constexpr uint64_t k_command_block_size = 8;
constexpr uint64_t k_control_block_size = 1; // 0x3f6 / 0x376: alternate status / device control

// Status register (§7.15).
constexpr uint8_t k_st_bsy = 0x80;
constexpr uint8_t k_st_drdy = 0x40;
constexpr uint8_t k_st_df = 0x20;
constexpr uint8_t k_st_dsc = 0x10; // "device seek complete" (obsolete, still set by disks)
constexpr uint8_t k_st_drq = 0x08;
constexpr uint8_t k_st_err = 0x01;

// Error register (§7.9).
constexpr uint8_t k_err_icrc = 0x80;
constexpr uint8_t k_err_unc = 0x40;
constexpr uint8_t k_err_idnf = 0x10;
constexpr uint8_t k_err_abrt = 0x04;
// After a reset or EXECUTE DEVICE DIAGNOSTIC: "device 0 passed, device 1 passed or not present".
constexpr uint8_t k_diag_passed = 0x01;

// Device/head register (§7.10): bit 6 LBA addressing, bit 4 DEV (device 1 selected).
constexpr uint8_t k_dev_lba = 0x40;
constexpr uint8_t k_dev_dev1 = 0x10;

// Device control register (§7.8).
constexpr uint8_t k_ctl_hob = 0x80;
constexpr uint8_t k_ctl_srst = 0x04;
constexpr uint8_t k_ctl_nien = 0x02;

// PACKET: Features bit 0 asks for DMA; Sector Count holds the interrupt reason (ATA8-ACS §7.21).
constexpr uint8_t k_packet_dma = 0x01;
constexpr uint8_t k_ireason_cod = 0x01; // command (packet) or status, not data
constexpr uint8_t k_ireason_io = 0x02;  // to the host

// Command codes (ATA8-ACS §7).
enum Command : uint8_t {
    k_cmd_nop = 0x00,
    k_cmd_device_reset = 0x08,
    k_cmd_recalibrate = 0x10,
    k_cmd_read_sectors = 0x20,
    k_cmd_read_sectors_noretry = 0x21,
    k_cmd_read_sectors_ext = 0x24,
    k_cmd_read_dma_ext = 0x25,
    k_cmd_read_multiple_ext = 0x29,
    k_cmd_write_sectors = 0x30,
    k_cmd_write_sectors_noretry = 0x31,
    k_cmd_write_sectors_ext = 0x34,
    k_cmd_write_dma_ext = 0x35,
    k_cmd_write_multiple_ext = 0x39,
    k_cmd_read_verify = 0x40,
    k_cmd_read_verify_noretry = 0x41,
    k_cmd_read_verify_ext = 0x42,
    k_cmd_seek = 0x70,
    k_cmd_execute_diagnostic = 0x90,
    k_cmd_initialize_parameters = 0x91,
    k_cmd_packet = 0xa0,
    k_cmd_identify_packet = 0xa1,
    k_cmd_read_multiple = 0xc4,
    k_cmd_write_multiple = 0xc5,
    k_cmd_set_multiple = 0xc6,
    k_cmd_read_dma = 0xc8,
    k_cmd_read_dma_noretry = 0xc9,
    k_cmd_write_dma = 0xca,
    k_cmd_write_dma_noretry = 0xcb,
    k_cmd_standby_immediate = 0xe0,
    k_cmd_idle_immediate = 0xe1,
    k_cmd_standby = 0xe2,
    k_cmd_idle = 0xe3,
    k_cmd_check_power_mode = 0xe5,
    k_cmd_sleep = 0xe6,
    k_cmd_flush_cache = 0xe7,
    k_cmd_flush_cache_ext = 0xea,
    k_cmd_identify = 0xec,
    k_cmd_set_features = 0xef,
};

// SET FEATURES subcommands (ATA8-ACS §7.48).
constexpr uint8_t k_feature_enable_write_cache = 0x02;
constexpr uint8_t k_feature_set_transfer_mode = 0x03;
constexpr uint8_t k_feature_disable_revert = 0x66;
constexpr uint8_t k_feature_disable_read_lookahead = 0x55;
constexpr uint8_t k_feature_disable_write_cache = 0x82;
constexpr uint8_t k_feature_enable_read_lookahead = 0xaa;
constexpr uint8_t k_feature_enable_revert = 0xcc;

// Reset signatures in Sector Count, LBA Low/Mid/High (ATA8-ACS §9.12).
constexpr uint8_t k_sig_atapi_mid = 0x14;
constexpr uint8_t k_sig_atapi_high = 0xeb;

constexpr uint32_t k_sector_size = 512;
constexpr uint32_t k_max_multiple = 16; // READ/WRITE MULTIPLE block size limit we advertise
constexpr uint64_t k_lba28_limit = 1ULL << 28;
constexpr uint64_t k_lba48_limit = 1ULL << 48;

} // namespace vireo::ata

namespace vireo::bmdma {

// SFF-8038i bus-master registers, 8 per channel in BAR4 (§2).
constexpr uint64_t k_command = 0;
constexpr uint64_t k_status = 2;
constexpr uint64_t k_prd_table = 4;
constexpr uint64_t k_channel_stride = 8;
constexpr uint64_t k_bar_size = 16;

constexpr uint8_t k_cmd_start = 0x01;
constexpr uint8_t k_cmd_to_memory = 0x08; // "read/write control": 1 = the bus master writes memory

constexpr uint8_t k_st_active = 0x01;
constexpr uint8_t k_st_error = 0x02;
constexpr uint8_t k_st_interrupt = 0x04;
constexpr uint8_t k_st_drive0_dma = 0x20;
constexpr uint8_t k_st_drive1_dma = 0x40;

// One physical region descriptor: {u32 address, u16 byte count (0 = 64 KiB), u16 flags}.
constexpr uint32_t k_prd_entry_size = 8;
constexpr uint16_t k_prd_eot = 0x8000;
constexpr uint64_t k_prd_table_boundary = 0x10000; // a table may not cross a 64 KiB boundary

} // namespace vireo::bmdma

namespace vireo::scsi {

// Opcodes (SPC-3, MMC-5).
enum Opcode : uint8_t {
    k_test_unit_ready = 0x00,
    k_request_sense = 0x03,
    k_inquiry = 0x12,
    k_mode_select_6 = 0x15,
    k_mode_sense_6 = 0x1a,
    k_start_stop_unit = 0x1b,
    k_prevent_allow = 0x1e,
    k_read_capacity = 0x25,
    k_read_10 = 0x28,
    k_seek_10 = 0x2b,
    k_read_toc = 0x43,
    k_get_configuration = 0x46,
    k_get_event_status = 0x4a,
    k_read_disc_information = 0x51,
    k_mode_select_10 = 0x55,
    k_mode_sense_10 = 0x5a,
    k_read_12 = 0xa8,
    k_set_cd_speed = 0xbb,
    k_mechanism_status = 0xbd,
};

// Sense keys (SPC-3 §4.5.6).
constexpr uint8_t k_no_sense = 0x00;
constexpr uint8_t k_not_ready = 0x02;
constexpr uint8_t k_medium_error = 0x03;
constexpr uint8_t k_illegal_request = 0x05;
constexpr uint8_t k_unit_attention = 0x06;

// Additional sense codes (ASC << 8 | ASCQ).
constexpr uint16_t k_asc_none = 0x0000;
constexpr uint16_t k_asc_unrecovered_read = 0x1100;
constexpr uint16_t k_asc_invalid_opcode = 0x2000;
constexpr uint16_t k_asc_lba_out_of_range = 0x2100;
constexpr uint16_t k_asc_invalid_field = 0x2400;
constexpr uint16_t k_asc_medium_changed = 0x2800;
constexpr uint16_t k_asc_saving_unsupported = 0x3900;
constexpr uint16_t k_asc_medium_not_present = 0x3a00;
constexpr uint16_t k_asc_removal_prevented = 0x5302;

constexpr uint32_t k_cd_sector_size = 2048;
constexpr size_t k_packet_size = 12;

} // namespace vireo::scsi
