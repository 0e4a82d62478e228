#include "machine/firmware/boot_config.h"

#include <algorithm>

#include <fmt/format.h>

#include "machine/boot/le_bytes.h"

namespace vireo::boot_config {

namespace {

constexpr std::string_view k_pci_root = "/pci@i0cf8";
constexpr uint8_t k_piix_ide_slot = 1;
constexpr uint8_t k_piix_ide_function = 1;
constexpr size_t k_e820_entry_size = 20;

std::string pci_path(std::string_view name, uint8_t slot, uint8_t function)
{
    if (function == 0)
        return fmt::format("{}/{}@{:x}", k_pci_root, name, slot);
    return fmt::format("{}/{}@{:x},{:x}", k_pci_root, name, slot, function);
}

// QEMU's and SeaBIOS's device numbers for -boot order= letters.
std::optional<uint8_t> boot_device_code(char letter)
{
    switch (letter) {
    case 'a':
    case 'b':
        return 1; // floppy
    case 'c':
        return 2; // first hard disk
    case 'd':
        return 3; // first CD-ROM
    case 'n':
        return 4; // network (option ROM boot entry vector)
    default:
        return std::nullopt;
    }
}

} // namespace

std::string of_path_ide(uint8_t channel, uint8_t unit)
{
    return fmt::format("{}/drive@{:x}/disk@{:x}", pci_path("ide", k_piix_ide_slot, k_piix_ide_function), channel, unit);
}

std::string of_path_pci_disk(uint8_t slot, uint8_t function) { return pci_path("scsi", slot, function) + "/disk@0,0"; }

std::string of_path_pci_nic(uint8_t slot, uint8_t function) { return pci_path("ethernet", slot, function) + "/ethernet-phy@0"; }

Result<std::vector<uint8_t>> build_bootorder(std::span<const BootDevice> devices, StrictBoot strict)
{
    std::vector<const BootDevice*> listed;
    for (const auto& device : devices) {
        if (device.bootindex < 0)
            continue;
        if (device.of_path.empty() || device.of_path.find_first_of(std::string_view("\n\0", 2)) != std::string::npos)
            return make_error("bootorder: bad device path '{}'", device.of_path);
        listed.push_back(&device);
    }
    std::ranges::stable_sort(listed, {}, &BootDevice::bootindex);
    for (size_t i = 1; i < listed.size(); ++i)
        if (listed[i]->bootindex == listed[i - 1]->bootindex)
            return make_error("bootindex {} is used by two devices", listed[i]->bootindex);

    // QEMU's form: lines joined by '\n', then a NUL; with strict=on a last line "HALT".
    std::string text;
    for (const BootDevice* device : listed) {
        if (!text.empty())
            text += '\n';
        text += device->of_path;
    }
    if (strict == StrictBoot::On && !text.empty())
        text += "\nHALT";
    std::vector<uint8_t> out(text.begin(), text.end());
    if (!out.empty())
        out.push_back(0);
    return out;
}

Result<CmosBootFlags> cmos_boot_flags(std::string_view order, FloppyCheck check)
{
    if (order.size() > 3)
        return make_error("-boot order={}: at most 3 boot devices", order);
    std::array<uint8_t, 3> codes {};
    for (size_t i = 0; i < order.size(); ++i) {
        auto code = boot_device_code(order[i]);
        if (!code)
            return make_error("-boot order={}: invalid boot device '{}'", order, order[i]);
        if (order.find(order[i]) != i)
            return make_error("-boot order={}: boot device '{}' given twice", order, order[i]);
        codes[i] = *code;
    }
    return CmosBootFlags {
        static_cast<uint8_t>(codes[1] << 4 | codes[0]),
        static_cast<uint8_t>(codes[2] << 4 | (check == FloppyCheck::Off ? 1 : 0)),
    };
}

std::vector<uint8_t> boot_fail_wait(int32_t reboot_timeout_ms)
{
    uint32_t value = static_cast<uint32_t>(reboot_timeout_ms); // -1: 0xffffffff, never reboot
    if (reboot_timeout_ms >= 0 && value > 0xffff)
        value = 0xffff;
    std::vector<uint8_t> out(4);
    store_le<uint32_t>(out, 0, value);
    return out;
}

std::vector<uint8_t> le16_file(uint16_t value)
{
    std::vector<uint8_t> out(2);
    store_le<uint16_t>(out, 0, value);
    return out;
}

std::vector<E820Entry> firmware_e820(std::span<const GuestRegionSpec> ram_regions)
{
    std::vector<E820Entry> out;
    for (const auto& region : ram_regions)
        out.push_back(E820Entry { region.start, region.size, E820Type::Ram });
    return out;
}

std::vector<uint8_t> e820_file(std::span<const E820Entry> entries)
{
    std::vector<uint8_t> out(entries.size() * k_e820_entry_size);
    for (size_t i = 0; i < entries.size(); ++i) {
        store_le<uint64_t>(out, i * k_e820_entry_size, entries[i].address);
        store_le<uint64_t>(out, i * k_e820_entry_size + 8, entries[i].size);
        store_le<uint32_t>(out, i * k_e820_entry_size + 16, static_cast<uint32_t>(entries[i].type));
    }
    return out;
}

} // namespace vireo::boot_config
