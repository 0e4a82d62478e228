#pragma once
// The fake guest RAM of the device fuzz targets: one region at address 0, made once per process
// (a campaign runs millions of inputs through one process) and zeroed before every input, so an
// input sees nothing a previous one wrote.
#include <array>
#include <cstdint>
#include <cstring>

#include "memory/guest_memory.h"

namespace vireo::fuzz {

template<uint64_t Size>
GuestMemory& zeroed_guest_memory()
{
    static GuestMemory memory = [] {
        std::array<GuestRegionSpec, 1> specs { GuestRegionSpec { 0, Size } };
        return GuestMemory::create(specs).value();
    }();
    auto ram = memory.slice(0, Size).value();
    std::memset(ram.data(), 0, ram.size());
    return memory;
}

} // namespace vireo::fuzz
