#pragma once
// Opening the disk image a -drive names: format probing, backing chains, read-only and
// snapshot=on (writes go to a temporary qcow2 overlay that disappears on exit).
#include <memory>
#include <string>

#include "base/result.h"
#include "block/disk_image.h"
#include "config/vm_config.h"

namespace vireo {

// Errors are one line: "disk.img: No such file or directory",
// "disk.qcow2: unsupported qcow2 feature: external data file",
// "disk.img: image is locked by another process (is another VM using it?)".
[[nodiscard]] Result<std::unique_ptr<DiskImage>> open_disk_image(const DriveConfig& config);

// What the monitor reports of an opened drive (QMP query-block's "inserted").
struct ImageFacts {
    std::string format;          // of the top image: "raw" or "qcow2" (snapshot=on: the qcow2 overlay)
    uint64_t virtual_size = 0;
    int backing_depth = 0;       // images below the top
    std::string backing_file;    // as the top image names it; empty: none
};

struct OpenedImage {
    std::unique_ptr<DiskImage> image;
    ImageFacts facts;
};

// open_disk_image, with the facts about the chain it opened.
[[nodiscard]] Result<OpenedImage> open_drive_image(const DriveConfig& config);

} // namespace vireo
