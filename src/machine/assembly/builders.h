#pragma once
// The device builders a machine type lists (pc_machine_type.cpp). Each turns its part of the
// configuration into devices on the machine's buses; they run in the order listed.
#include <optional>

#include "machine/assembly/machine_parts.h"

namespace vireo {

// With no -kernel: the firmware image (SeaBIOS or -bios) mapped to end at 4 GiB
// (firmware_builder.cpp). Runs before the chipset, whose PAM shows the image's end.
[[nodiscard]] Result<void> build_firmware_rom(MachineParts& parts);
// i440FX host bridge (with PAM), PIIX3 ISA bridge, PIIX4 power management with the ACPI PM
// registers and timer, and the reset control register (chipset_builder.cpp).
[[nodiscard]] Result<void> build_chipset(MachineParts& parts);
// -vga std: QEMU's standard VGA at 00:02.0, right after the chipset (display_builder.cpp).
[[nodiscard]] Result<void> build_display(MachineParts& parts);
// A std VGA for -vga std (slot given) or -device VGA (next free slot) (display_builder.cpp).
[[nodiscard]] Result<void> add_std_vga(MachineParts& parts, const DeviceConfig* device, std::optional<uint8_t> slot);
// Whether the configuration asks for a std VGA (the machine then leaves 0xA0000-0xBFFFF to it).
[[nodiscard]] bool wants_std_vga(const VmConfig& config);
// Where the machine's VGA comes from. QEMU's pc (with_default true) adds a std VGA at 00:02.0
// unless -vga none, -nodefaults, or a -device VGA of the command line's own (that one stands
// where -device puts it); -nographic, -display none and -vnc keep it. Vireo passes
// k_std_vga_by_default (false for now: only -vga std, -device VGA or -vnc add one).
enum class VgaPlan { None, DefaultSlot, FromDevice };
[[nodiscard]] VgaPlan plan_vga(const VmConfig& config, bool with_default);
inline constexpr bool k_std_vga_by_default = false;
// CMOS RTC, i8042, port 0x92, port 0x80 (legacy_builder.cpp).
[[nodiscard]] Result<void> build_legacy_devices(MachineParts& parts);
// COM1-COM4 from -serial / -nographic, and the console on stdin (serial_builder.cpp).
[[nodiscard]] Result<void> build_serial_ports(MachineParts& parts);
// The PIIX3 IDE function (00:01.1) with -drive if=ide, -hda..-hdd and -cdrom (ide_builder.cpp).
[[nodiscard]] Result<void> build_ide(MachineParts& parts);
// Disks on virtio-blk from -drive if=virtio (virtio_builder.cpp).
[[nodiscard]] Result<void> build_virtio_drives(MachineParts& parts);
// Every -device, by driver name (device_builder.cpp).
[[nodiscard]] Result<void> build_devices(MachineParts& parts);
// With firmware: fw_cfg and everything the firmware reads from it (fw_cfg_builder.cpp). Last.
[[nodiscard]] Result<void> build_fw_cfg(MachineParts& parts);
// QEMU's default NIC (user networking) when no network option was given (virtio_builder.cpp).
[[nodiscard]] Result<void> build_default_nic(MachineParts& parts);

} // namespace vireo
