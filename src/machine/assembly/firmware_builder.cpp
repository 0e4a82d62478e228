// The firmware ROM: with no -kernel, SeaBIOS (or -bios FILE) mapped read-only to end at 4 GiB,
// where the vCPU's reset vector fetches from. The PAM (chipset_builder.cpp) shows its last
// 128 KiB at 0xE0000-0xFFFFF.
#include "devices/firmware/firmware_image.h"
#include "machine/assembly/builders.h"

namespace vireo {

Result<void> build_firmware_rom(MachineParts& parts)
{
    if (!parts.config.kernel.empty())
        return {}; // direct kernel boot: no firmware
    const std::string path = parts.config.bios.empty() ? k_default_firmware_path : parts.config.bios;
    auto image = std::make_shared<FirmwareImage>(TRY(FirmwareImage::load(path)));
    TRY(parts.vm.map_slot(image->guest_address(), image->size(), image->data(), SlotAccess::ReadOnly));
    parts.firmware = image;
    parts.keep(image);
    return {};
}

} // namespace vireo
