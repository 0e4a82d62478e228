// The display: QEMU's standard VGA (-vga std at 00:02.0, or -device VGA), its legacy ports and
// window, and the refresh timer a display consumer (the VNC server) attaches to.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <string_view>

#include "base/read_file.h"
#include "devices/display/display_refresh.h"
#include "devices/display/std_vga.h"
#include "devices/pci/pci_root.h"
#include "machine/assembly/builders.h"

namespace vireo {

namespace {

constexpr uint8_t k_vga_slot = 2; // where QEMU's pc puts -vga std: before the other default devices
constexpr uint64_t k_max_rom_size = 1 << 20;
constexpr uint64_t k_default_vgamem_mb = 16;
constexpr uint64_t k_max_vgamem_mb = 256;

// vgamem_mb=N: QEMU rounds the size up to a power of two; it is kept within 1-256 MiB.
Result<uint64_t> vram_size(const DeviceConfig* device)
{
    if (!device)
        return k_default_vgamem_mb << 20;
    auto it = device->properties.find("vgamem_mb");
    if (it == device->properties.end())
        return k_default_vgamem_mb << 20;
    const auto& text = it->second;
    uint64_t megabytes = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), megabytes);
    if (error != std::errc() || end != text.data() + text.size())
        return make_error("-device VGA: invalid vgamem_mb '{}'", text);
    megabytes = std::clamp<uint64_t>(megabytes, 1, k_max_vgamem_mb);
    uint64_t rounded = 1;
    while (rounded < megabytes)
        rounded *= 2;
    return rounded << 20;
}

// The VGA BIOS: needed by the firmware (it runs it to set up text mode and VBE); a kernel booted
// directly does without one if the file is missing.
Result<std::vector<uint8_t>> vga_bios(const MachineParts& parts, const DeviceConfig* device)
{
    std::string path = k_std_vga_bios_path;
    if (device) {
        if (auto it = device->properties.find("romfile"); it != device->properties.end())
            path = it->second;
    }
    if (path.empty())
        return std::vector<uint8_t> {};
    if (!parts.firmware && !std::filesystem::exists(path))
        return std::vector<uint8_t> {};
    auto rom = read_whole_file(path, k_max_rom_size);
    if (!rom)
        return make_error("VGA BIOS {}: {}", path, rom.error().describe());
    return rom;
}

// addr=SLOT[.FUNCTION] (hex with 0x, else as QEMU: hex digits), function 0 only.
Result<std::optional<uint8_t>> pci_slot(const DeviceConfig& device, std::optional<uint8_t> slot)
{
    auto it = device.properties.find("addr");
    if (it == device.properties.end())
        return slot;
    std::string_view text = it->second;
    auto dot = text.find('.');
    std::string_view function = dot == std::string_view::npos ? std::string_view("0") : text.substr(dot + 1);
    std::string_view number = text.substr(0, dot);
    if (number.starts_with("0x") || number.starts_with("0X"))
        number.remove_prefix(2);
    unsigned value = 0;
    auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value, 16);
    if (number.empty() || error != std::errc() || end != number.data() + number.size() || value == 0 || value > 31
        || function != "0")
        return make_error("-device VGA: invalid addr '{}' (a free slot 1-31, function 0)", it->second);
    return std::optional<uint8_t>(static_cast<uint8_t>(value));
}

} // namespace

VgaPlan plan_vga(const VmConfig& config, bool with_default)
{
    const bool device = std::ranges::any_of(config.devices, [](const DeviceConfig& d) { return d.driver == "VGA"; });
    if (config.vga == VgaType::Std)
        return VgaPlan::DefaultSlot; // with a -device VGA as well, add_std_vga refuses the second
    if (device)
        return VgaPlan::FromDevice;
    // -vnc brings QEMU's default VGA even while vireo adds none otherwise: a VNC client has
    // something to show.
    if (config.vga == VgaType::Default && (with_default || config.vnc) && !config.nodefaults)
        return VgaPlan::DefaultSlot;
    return VgaPlan::None;
}

bool wants_std_vga(const VmConfig& config)
{
    return plan_vga(config, k_std_vga_by_default) != VgaPlan::None;
}

Result<void> add_std_vga(MachineParts& parts, const DeviceConfig* device, std::optional<uint8_t> slot)
{
    if (parts.display)
        return make_error("-device VGA: only one VGA device is supported (-vga std adds one too)");
    // Of -device VGA's properties vireo reads vgamem_mb, romfile and addr (libvirt's
    // "addr=0x2"); the rest (bus=pci.0, edid, xres, ...) are ignored as for other devices.
    if (device)
        slot = TRY(pci_slot(*device, slot));
    StdVgaConfig config;
    config.vram_size = TRY(vram_size(device));
    config.rom = TRY(vga_bios(parts, device));
    auto vga = TRY(StdVga::create(parts.vm, parts.vm, std::move(config)));
    parts.keep(vga); // before the buses reference it
    TRY(parts.pio.insert(vga->vga_ports(), vga::k_port_base, vga::k_port_count, "vga"));
    TRY(parts.pio.insert(vga->dispi_ports(), dispi::k_index_port, StdVga::k_dispi_port_count, "vbe-dispi"));
    TRY(parts.mmio.insert(vga->legacy_window(), VgaMemory::k_window_start, VgaMemory::k_window_size, "vga-window"));
    uint8_t vga_slot = TRY(parts.pci_root->add_device(vga, slot));
    if (device && !device->id.empty())
        parts.pci_ids[static_cast<uint16_t>(vga_slot << 3)] = device->id;
    parts.display = vga.get();
    auto refresh = std::shared_ptr<DisplayRefresh>(TRY(DisplayRefresh::create(parts.loop, *vga)));
    parts.keep(refresh);
    parts.display_refresh = refresh.get();
    return {};
}

Result<void> build_display(MachineParts& parts)
{
    if (plan_vga(parts.config, k_std_vga_by_default) != VgaPlan::DefaultSlot)
        return {};
    return add_std_vga(parts, nullptr, k_vga_slot);
}

} // namespace vireo
