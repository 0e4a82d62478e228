#pragma once
// Little-endian loads and stores at byte offsets of a buffer, for the firmware structures
// (boot_params, ELF, ACPI) whose layouts are given as offsets. Callers check bounds first.
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace vireo {

template<typename T>
    requires std::is_integral_v<T>
[[nodiscard]] inline T load_le(std::span<const uint8_t> bytes, size_t offset)
{
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T)); // x86 hosts only: already little-endian
    return value;
}

template<typename T>
    requires std::is_integral_v<T>
inline void store_le(std::span<uint8_t> bytes, size_t offset, T value)
{
    std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

} // namespace vireo
