#include "memory/guest_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace vireo {

namespace {

constexpr uint64_t k_huge_page = 2ULL << 20;

// Maps a RAM region so that its host address is congruent to its guest-physical start modulo
// 2 MiB. KVM maps a guest frame with a 2 MiB page only when guest-physical and host-virtual
// addresses agree modulo 2 MiB (and the host backs it with a huge page); a plain mmap() of
// anonymous memory is only 4 KiB-aligned, which leaves every guest page a 4 KiB NPT/EPT entry.
Result<Mapping> map_region(uint64_t guest_start, uint64_t size, int flags, int fd, off_t offset)
{
    uint64_t span = size + k_huge_page;
    void* reserved = ::mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reserved == MAP_FAILED)
        return errno_error("cannot reserve {} MiB of address space for guest RAM", span >> 20);
    auto start = reinterpret_cast<uintptr_t>(reserved);
    uintptr_t want = guest_start % k_huge_page;
    uintptr_t aligned = start + ((want - start % k_huge_page) + k_huge_page) % k_huge_page;
    void* address = ::mmap(reinterpret_cast<void*>(aligned), size, PROT_READ | PROT_WRITE,
        flags | MAP_FIXED | (fd < 0 ? MAP_ANONYMOUS : 0), fd, offset);
    if (address == MAP_FAILED) {
        int error = errno;
        ::munmap(reserved, span);
        errno = error;
        return errno_error("mmap of {} MiB of guest RAM", size >> 20);
    }
    // Give back the unused head and tail of the reservation.
    if (aligned > start)
        ::munmap(reserved, aligned - start);
    uintptr_t end = aligned + size;
    if (start + span > end)
        ::munmap(reinterpret_cast<void*>(end), start + span - end);
    return Mapping(address, size);
}

} // namespace

Result<GuestMemory> GuestMemory::create(std::span<const GuestRegionSpec> specs, Backing backing, GuestRamPolicy policy)
{
    GuestMemory memory;
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    uint64_t total = 0;
    for (size_t i = 0; i < specs.size(); ++i) {
        const auto& spec = specs[i];
        if (spec.size == 0 || spec.start % page || spec.size % page)
            return make_error("guest memory region {:#x}+{:#x} is empty or not page-aligned", spec.start, spec.size);
        if (spec.start + spec.size < spec.start)
            return make_error("guest memory region {:#x}+{:#x} wraps", spec.start, spec.size);
        for (size_t j = 0; j < i; ++j) {
            const auto& other = specs[j];
            if (spec.start < other.start + other.size && other.start < spec.start + spec.size)
                return make_error("guest memory regions {:#x} and {:#x} overlap", spec.start, other.start);
        }
        total += spec.size;
    }

    int fd = -1;
    if (backing == Backing::Memfd) {
        fd = ::memfd_create("vireo-guest-ram", MFD_CLOEXEC);
        if (fd < 0)
            return errno_error("memfd_create for guest RAM");
        memory.m_fd = UniqueFd(fd);
        if (::ftruncate(fd, static_cast<off_t>(total)) < 0)
            return errno_error("cannot size guest RAM to {} MiB", total >> 20);
    }

    uint64_t offset = 0;
    for (const auto& spec : specs) {
        int flags = (backing == Backing::Memfd ? MAP_SHARED : MAP_PRIVATE) | MAP_NORESERVE;
        auto mapping = TRY(map_region(spec.start, spec.size, flags, fd,
            backing == Backing::Memfd ? static_cast<off_t>(offset) : 0));
        // Guest RAM is never worth dumping with a VMM core; huge pages cut EPT faults and TLB misses.
        ::madvise(mapping.data(), spec.size, MADV_DONTDUMP);
        ::madvise(mapping.data(), spec.size, MADV_HUGEPAGE);
        // KSM merges private anonymous pages only (a shared memfd's are left alone). As in QEMU,
        // a kernel without KSM is not an error.
        if (policy.mergeable)
            ::madvise(mapping.data(), spec.size, MADV_MERGEABLE);
        // After MADV_HUGEPAGE, so that locking faults the region in with huge pages.
        if (policy.locked && ::mlock(mapping.data(), spec.size) < 0)
            return errno_error("cannot lock {} MiB of guest RAM in memory (-overcommit mem-lock=on; see ulimit -l)",
                               spec.size >> 20);
        memory.m_regions.push_back(GuestRegion { spec.start, spec.size, mapping.data(), offset });
        memory.m_mappings.push_back(std::move(mapping));
        offset += spec.size;
    }
    return memory;
}

uint64_t GuestMemory::total_size() const
{
    uint64_t total = 0;
    for (const auto& region : m_regions)
        total += region.size;
    return total;
}

const GuestRegion* GuestMemory::find(GuestAddress address, uint64_t length) const
{
    for (const auto& region : m_regions) {
        if (address < region.start)
            continue;
        uint64_t offset = address - region.start;
        if (offset >= region.size)
            continue;
        // Overflow-free: offset < size, so size - offset does not wrap.
        if (length > region.size - offset)
            return nullptr;
        return &region;
    }
    return nullptr;
}

bool GuestMemory::contains(GuestAddress address, uint64_t length) const
{
    return find(address, length) != nullptr;
}

Result<std::span<uint8_t>> GuestMemory::slice(GuestAddress address, uint64_t length) const
{
    const GuestRegion* region = find(address, length);
    if (!region)
        return make_error("guest range {:#x}+{:#x} is outside guest RAM", address, length);
    return std::span<uint8_t>(region->host + (address - region->start), length);
}

Result<void> GuestMemory::read(GuestAddress address, std::span<uint8_t> out) const
{
    auto source = TRY(slice(address, out.size()));
    std::memcpy(out.data(), source.data(), out.size());
    return {};
}

Result<void> GuestMemory::write(GuestAddress address, std::span<const uint8_t> data) const
{
    auto target = TRY(slice(address, data.size()));
    std::memcpy(target.data(), data.data(), data.size());
    return {};
}

} // namespace vireo
