#pragma once
// KVM ioctls whose argument ends in a flexible array. <linux/kvm.h> declares those arrays
// with __DECLARE_FLEX_ARRAY, which in C++ adds a one-byte empty struct: sizeof() and the
// array's offset differ from the kernel's C layout, and so do the ioctl numbers (which encode
// the size). These are the C layouts: an 8-byte header followed directly by the entries.
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace vireo::kvm_abi {

struct ListHeader {
    uint32_t count;    // nent / nmsrs / nr
    uint32_t reserved; // padding / pad / flags
};
static_assert(sizeof(ListHeader) == 8);

constexpr unsigned long k_get_supported_cpuid = _IOWR(KVMIO, 0x05, ListHeader);
constexpr unsigned long k_set_cpuid2 = _IOW(KVMIO, 0x90, ListHeader);
constexpr unsigned long k_set_msrs = _IOW(KVMIO, 0x89, ListHeader);
constexpr unsigned long k_set_gsi_routing = _IOW(KVMIO, 0x6a, ListHeader);

// A header + entries buffer, 8-byte aligned, in the kernel's layout.
template<typename Entry>
class EntryList {
public:
    explicit EntryList(size_t capacity)
        : m_storage((sizeof(ListHeader) + capacity * sizeof(Entry) + 7) / 8)
        , m_capacity(capacity)
    {
        header().count = static_cast<uint32_t>(capacity);
    }
    explicit EntryList(std::span<const Entry> entries)
        : EntryList(entries.size())
    {
        if (!entries.empty())
            std::memcpy(entry_bytes(), entries.data(), entries.size_bytes());
    }
    ListHeader& header() { return *reinterpret_cast<ListHeader*>(m_storage.data()); }
    void* data() { return m_storage.data(); }
    [[nodiscard]] std::vector<Entry> entries()
    {
        std::vector<Entry> out(std::min<size_t>(header().count, m_capacity));
        if (!out.empty())
            std::memcpy(out.data(), entry_bytes(), out.size() * sizeof(Entry));
        return out;
    }

private:
    uint8_t* entry_bytes() { return reinterpret_cast<uint8_t*>(m_storage.data()) + sizeof(ListHeader); }
    std::vector<uint64_t> m_storage;
    size_t m_capacity;
};

} // namespace vireo::kvm_abi
