#pragma once
// Shared by the boot loader tests: a guest memory laid out like the pc machine's.
#include <cstdint>

#include "machine/memory_map.h"
#include "memory/guest_memory.h"

namespace vireo::test {

struct TestGuest {
    MemoryLayout layout;
    GuestMemory memory;
};

inline TestGuest make_test_guest(uint64_t ram_size)
{
    auto layout = compute_memory_layout(ram_size).value();
    auto memory = GuestMemory::create(layout.ram_regions).value();
    return TestGuest { std::move(layout), std::move(memory) };
}

} // namespace vireo::test
