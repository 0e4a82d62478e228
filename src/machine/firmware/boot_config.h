#pragma once
// What the firmware needs to choose and run a boot device, as QEMU gives it to SeaBIOS:
//   bootorder           OpenFirmware paths of the devices with a bootindex, lowest first
//                       ("HALT" last with -boot strict=on); SeaBIOS matches its own device
//                       paths against them as glob prefixes (src/boot.c)
//   etc/boot-fail-wait  le32 ms before rebooting when nothing boots (-boot reboot-timeout; -1 never)
//   etc/boot-menu-wait  le16 ms the menu prompt waits (-boot splash-time)
//   key 0x0e            le16 boot menu on/off (-boot menu=on)
//   etc/e820            the RAM map, 20-byte entries {u64 address, u64 length, u32 type}
// -boot order=/once= do not go through fw_cfg: SeaBIOS reads them from CMOS bytes 0x3d and
// 0x38 (cmos_boot_flags() below), and uses them only for devices the bootorder file does not
// list. So a device's bootindex always wins over order=, as in QEMU.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "machine/memory_map.h"

namespace vireo::boot_config {

constexpr std::string_view k_bootorder_file = "bootorder";
constexpr std::string_view k_boot_fail_wait_file = "etc/boot-fail-wait";
constexpr std::string_view k_boot_menu_wait_file = "etc/boot-menu-wait";
constexpr std::string_view k_sercon_port_file = "etc/sercon-port";
constexpr std::string_view k_e820_file = "etc/e820";

// A device the firmware may boot from.
struct BootDevice {
    std::string of_path;  // from of_path_ide() / of_path_pci_disk() / of_path_pci_nic()
    int32_t bootindex = -1; // -device ...,bootindex=N; -1: not in the bootorder file
};

// -boot strict=on: the firmware boots only the devices in the bootorder file.
enum class StrictBoot { Off, On };

// The -boot options that reach the firmware through fw_cfg (order= goes through CMOS).
struct BootOptions {
    std::vector<BootDevice> devices;
    bool menu = false;                     // menu=on
    std::optional<uint16_t> splash_time_ms; // splash-time=
    int32_t reboot_timeout_ms = -1;        // reboot-timeout=; -1: wait forever
    StrictBoot strict = StrictBoot::Off;   // strict=
};

// QEMU's OpenFirmware paths on the pc machine (PCI host bridge at I/O 0xcf8).
// IDE disk or CD-ROM on the PIIX IDE function (00:01.1): channel 0/1, unit 0 (master)/1.
[[nodiscard]] std::string of_path_ide(uint8_t channel, uint8_t unit);
// virtio-blk-pci (class "scsi"); SeaBIOS looks only at the PCI part.
[[nodiscard]] std::string of_path_pci_disk(uint8_t slot, uint8_t function = 0);
// A network card whose option ROM boots (virtio-net-pci, e1000).
[[nodiscard]] std::string of_path_pci_nic(uint8_t slot, uint8_t function = 0);

// The bootorder file: "path\npath\0" (or empty); two devices with one bootindex are an error.
[[nodiscard]] Result<std::vector<uint8_t>> build_bootorder(std::span<const BootDevice> devices, StrictBoot strict);

// CMOS bytes for -boot order= (at most 3 of a/b floppy, c disk, d CD-ROM, n network):
// byte 0x3d holds the first two, byte 0x38 the third in its high nibble and in bit 0
// "skip the floppy boot-signature check".
struct CmosBootFlags {
    uint8_t reg_3d;
    uint8_t reg_38;
};
enum class FloppyCheck { On, Off };
[[nodiscard]] Result<CmosBootFlags> cmos_boot_flags(std::string_view order, FloppyCheck check = FloppyCheck::On);
constexpr std::string_view k_default_boot_order = "cad"; // QEMU's pc default

// etc/boot-fail-wait: QEMU clamps timeouts above 65535 ms to that.
[[nodiscard]] std::vector<uint8_t> boot_fail_wait(int32_t reboot_timeout_ms);
[[nodiscard]] std::vector<uint8_t> le16_file(uint16_t value);

// The firmware's RAM map as QEMU gives it: each RAM region as type 1 (RAM); the firmware
// carves out the legacy holes and reserves what it uses itself.
[[nodiscard]] std::vector<E820Entry> firmware_e820(std::span<const GuestRegionSpec> ram_regions);
[[nodiscard]] std::vector<uint8_t> e820_file(std::span<const E820Entry> entries);

} // namespace vireo::boot_config
