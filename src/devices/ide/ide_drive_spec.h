#pragma once
// What the machine puts at one of the four IDE positions (channel x unit).
#include <memory>
#include <string>

#include "block/disk_image.h"

namespace vireo {

enum class IdeMedia { None, Disk, Cdrom };

struct IdeDriveSpec {
    IdeMedia kind = IdeMedia::None;    // None: no device at this position
    std::shared_ptr<DiskImage> image;  // required for Disk; null for an empty CD-ROM drive
    bool read_only = false;            // on top of image->read_only(); CD-ROMs are always read-only
    std::string serial;                // IDENTIFY words 10-19 (20 characters); empty: a generated one
    std::string model;                 // IDENTIFY words 27-46 (40 characters); empty: "VIREO HARDDISK"/"VIREO DVD-ROM"
    std::string firmware;              // IDENTIFY words 23-26 (8 characters); empty: the Vireo version
};

// Positions in the array given to PiixIde::create: index = channel * 2 + unit.
constexpr size_t k_ide_positions = 4;

} // namespace vireo
