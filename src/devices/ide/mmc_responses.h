#pragma once
// The data a CD/DVD-ROM returns for the SCSI/MMC commands that only describe the drive or
// its disc: pure functions of a small description, so the packet protocol (atapi_cdrom.cpp)
// stays apart from the byte layouts (SPC-3, MMC-5). A single-session disc with one data
// track is all a CD image can be.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace vireo::mmc {

// The drive and its disc as the responses describe them.
struct DriveView {
    uint64_t sectors = 0;      // 2048-byte sectors on the disc
    bool medium = false;       // a disc is in and the tray closed
    bool tray_open = false;
    bool locked = false;       // PREVENT ALLOW MEDIUM REMOVAL
};

enum class MediaEvent : uint8_t { None = 0, EjectRequest = 1, NewMedia = 2, MediaRemoval = 3 };

// Discs above this many sectors (80 minutes of CD) are reported as DVD-ROM.
constexpr uint64_t k_cd_max_sectors = 80 * 60 * 75;
constexpr uint16_t k_profile_none = 0x0000;
constexpr uint16_t k_profile_cd_rom = 0x0008;
constexpr uint16_t k_profile_dvd_rom = 0x0010;

[[nodiscard]] uint16_t current_profile(const DriveView& drive);

// INQUIRY standard data (36 bytes; SPC-3 §6.4.2), vendor/product/revision padded with spaces.
[[nodiscard]] std::vector<uint8_t> inquiry(std::string_view vendor, std::string_view product, std::string_view revision);
// Fixed-format sense data (18 bytes; SPC-3 §4.5.3).
[[nodiscard]] std::vector<uint8_t> fixed_sense(uint8_t key, uint16_t asc_ascq);
// READ CAPACITY (10): last LBA and block length.
[[nodiscard]] std::vector<uint8_t> read_capacity(uint64_t sectors);
// READ TOC/PMA/ATIP formats 0 (TOC), 1 (session info), 2 (raw TOC); nullopt: invalid field.
[[nodiscard]] std::optional<std::vector<uint8_t>> read_toc(uint64_t sectors, uint8_t format, bool msf, uint8_t start_track);
// GET CONFIGURATION (MMC-5 §6.6): rt 0 all features from `start`, 1 current ones, 2 just `start`.
[[nodiscard]] std::vector<uint8_t> get_configuration(const DriveView& drive, uint8_t rt, uint16_t start);
// MODE SENSE (6) or (10) of `page` (0x01, 0x2a or 0x3f for all) with page control `pc`
// (0 current, 1 changeable, 2 default); nullopt: page not supported.
[[nodiscard]] std::optional<std::vector<uint8_t>> mode_sense(const DriveView& drive, uint8_t page, uint8_t pc, bool ten);
// GET EVENT STATUS NOTIFICATION, polled: the media class if requested (MMC-5 §6.8).
[[nodiscard]] std::vector<uint8_t> event_status(const DriveView& drive, uint8_t class_request, MediaEvent event);
// READ DISC INFORMATION, standard disc information (MMC-5 §6.22.3.1).
[[nodiscard]] std::vector<uint8_t> disc_information(const DriveView& drive);
// MECHANISM STATUS header, no changer (MMC-5 §6.11).
[[nodiscard]] std::vector<uint8_t> mechanism_status(const DriveView& drive);

// LBA to minute/second/frame, with the 2-second (150-frame) pre-gap (MMC-5 §4.2.3.1).
struct Msf {
    uint8_t minute, second, frame;
};
[[nodiscard]] Msf lba_to_msf(uint64_t lba);

} // namespace vireo::mmc
