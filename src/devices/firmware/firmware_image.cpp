#include "devices/firmware/firmware_image.h"

#include <algorithm>
#include <cstring>

#include "base/read_file.h"

namespace vireo {

Result<FirmwareImage> FirmwareImage::from_bytes(std::span<const uint8_t> bytes, const std::string& name)
{
    if (bytes.empty())
        return make_error("firmware image {} is empty", name);
    if (bytes.size() > k_max_size)
        return make_error("firmware image {} is {} KiB: at most {} MiB fit below 4 GiB", name, bytes.size() >> 10,
            k_max_size >> 20);
    if (bytes.size() % k_granule)
        return make_error("firmware image {} is {} bytes, not a multiple of 64 KiB: not a firmware image", name,
            bytes.size());
    auto rom = TRY(Mapping::map(bytes.size(), PROT_READ | PROT_WRITE, MAP_PRIVATE));
    std::memcpy(rom.data(), bytes.data(), bytes.size());
    return FirmwareImage(std::move(rom));
}

Result<FirmwareImage> FirmwareImage::load(const std::string& path)
{
    auto bytes = read_whole_file(path, k_max_size);
    if (!bytes)
        return make_error("firmware image: {}", bytes.error().describe());
    return from_bytes(*bytes, path);
}

std::span<uint8_t> FirmwareImage::legacy_tail() const
{
    const uint64_t length = std::min(size(), k_legacy_window);
    return { m_rom.data() + size() - length, length };
}

} // namespace vireo
