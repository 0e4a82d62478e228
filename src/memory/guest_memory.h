#pragma once
// Guest RAM: regions at guest-physical addresses, backed by anonymous memory with transparent
// huge pages (the default) or by one memfd carved into the regions. Every access from
// device code goes through the checked accessors below: a range is used only if it lies
// whole inside one region (overflow-checked); nothing translates just a start address.
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

#include "base/mapping.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace vireo {

using GuestAddress = uint64_t;

struct GuestRegionSpec {
    GuestAddress start;
    uint64_t size;
};

struct GuestRegion {
    GuestAddress start;
    uint64_t size;
    uint8_t* host;        // start of the host mapping
    uint64_t file_offset; // offset of the region in the memfd
};

// What the host may do with guest RAM's pages (QEMU's -machine mem-merge= and -overcommit mem-lock=).
struct GuestRamPolicy {
    bool mergeable = false; // MADV_MERGEABLE: KSM, where the host runs it, may merge identical pages
    bool locked = false;    // mlock: every page resident from the start and never swapped out
};

class GuestMemory {
public:
    // Anonymous: private anonymous memory with MADV_HUGEPAGE, so KVM can map the guest with
    // 2 MiB pages (shmem gets huge pages only where the host enables shmem THP, which Debian
    // does not; 4 KiB pages cost one EPT fault each and made boots measurably slower).
    // Memfd: one shareable memfd (fd() is valid), for snapshots and sharing with other processes.
    enum class Backing { Anonymous, Memfd };

    // Maps each region (page-aligned, non-overlapping) into this process.
    [[nodiscard]] static Result<GuestMemory> create(std::span<const GuestRegionSpec> regions,
        Backing backing = Backing::Anonymous, GuestRamPolicy policy = {});

    GuestMemory(GuestMemory&&) = default;
    GuestMemory& operator=(GuestMemory&&) = default;

    [[nodiscard]] std::span<const GuestRegion> regions() const { return m_regions; }
    [[nodiscard]] int fd() const { return m_fd.get(); } // -1 unless Backing::Memfd
    [[nodiscard]] uint64_t total_size() const;

    // True if [address, address + length) lies inside one region.
    [[nodiscard]] bool contains(GuestAddress address, uint64_t length) const;

    // A host view of [address, address + length); error unless the range lies inside one region.
    [[nodiscard]] Result<std::span<uint8_t>> slice(GuestAddress address, uint64_t length) const;

    [[nodiscard]] Result<void> read(GuestAddress address, std::span<uint8_t> out) const;
    [[nodiscard]] Result<void> write(GuestAddress address, std::span<const uint8_t> data) const;

    template<typename T>
        requires std::is_trivially_copyable_v<T>
    [[nodiscard]] Result<T> read_obj(GuestAddress address) const
    {
        T value;
        TRY(read(address, std::span(reinterpret_cast<uint8_t*>(&value), sizeof(T))));
        return value;
    }

    template<typename T>
        requires std::is_trivially_copyable_v<T>
    [[nodiscard]] Result<void> write_obj(GuestAddress address, const T& value) const
    {
        return write(address, std::span(reinterpret_cast<const uint8_t*>(&value), sizeof(T)));
    }

private:
    GuestMemory() = default;
    const GuestRegion* find(GuestAddress address, uint64_t length) const;

    UniqueFd m_fd;
    std::vector<Mapping> m_mappings;
    std::vector<GuestRegion> m_regions;
};

} // namespace vireo
