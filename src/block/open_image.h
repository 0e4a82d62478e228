#pragma once
// Opening the disk image a -drive names: format probing, backing chains, read-only and
// snapshot=on (writes go to a temporary qcow2 overlay that disappears on exit).
#include <memory>

#include "base/result.h"
#include "block/disk_image.h"
#include "config/vm_config.h"

namespace vireo {

// Errors are one line: "disk.img: No such file or directory",
// "disk.qcow2: unsupported qcow2 feature: external data file",
// "disk.img: image is locked by another process (is another VM using it?)".
[[nodiscard]] Result<std::unique_ptr<DiskImage>> open_disk_image(const DriveConfig& config);

} // namespace vireo
