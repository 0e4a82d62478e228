#pragma once
// The firmware image (-bios, SeaBIOS by default): read from its file, checked, and kept in a
// private host mapping that the machine maps read-only so that it ends at 4 GiB, where the
// reset vector (0xFFFFFFF0) lies. Its last 128 KiB are also what the legacy BIOS area
// 0xE0000-0xFFFFF shows while the PAM registers route reads there to "ROM".
#include <cstdint>
#include <span>
#include <string>

#include "base/mapping.h"
#include "base/result.h"

namespace vireo {

// The image QEMU's pc machine loads when no -bios is given.
inline constexpr const char* k_default_firmware_path = "/usr/share/seabios/bios-256k.bin";

class FirmwareImage {
public:
    static constexpr uint64_t k_granule = 64 * 1024;          // sizes are multiples of 64 KiB
    static constexpr uint64_t k_max_size = 16 * 1024 * 1024;  // and at most 16 MiB
    static constexpr uint64_t k_legacy_window = 128 * 1024;   // mirrored at 0xE0000-0xFFFFF

    // Reads and checks `path`; the error names the file and what is wrong with it.
    [[nodiscard]] static Result<FirmwareImage> load(const std::string& path);
    // The same checks on bytes already in memory (tests).
    [[nodiscard]] static Result<FirmwareImage> from_bytes(std::span<const uint8_t> bytes, const std::string& name);

    [[nodiscard]] uint64_t size() const { return m_rom.size(); }
    [[nodiscard]] uint8_t* data() const { return m_rom.data(); }
    // Guest-physical address of the first byte: the image ends at 4 GiB.
    [[nodiscard]] uint64_t guest_address() const { return (1ULL << 32) - size(); }
    // The image's last min(size, 128 KiB) bytes: the ROM side of the legacy BIOS area.
    [[nodiscard]] std::span<uint8_t> legacy_tail() const;

private:
    explicit FirmwareImage(Mapping rom)
        : m_rom(std::move(rom))
    {
    }
    Mapping m_rom;
};

} // namespace vireo
