#pragma once
// Writes that KVM keeps for user space instead of exiting: accesses to zones registered with
// KVM_REGISTER_COALESCED_MMIO (port or MMIO ranges whose writes only latch a value) go into a
// ring page that all vCPUs of a VM share, mapped in each vCPU's kvm_run area. Whoever handles
// an exit drains the ring first, so devices see every write in the guest's order before the
// access that made the vCPU exit (for IDE: the task-file writes before the command).
#include <linux/kvm.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>

namespace vireo {

class CoalescedRing {
public:
    // The page's layout (uapi kvm.h, struct kvm_coalesced_mmio_ring): the two indices, then the
    // entries. Spelled out here: in C++ the header's flexible-array macro puts the array 8
    // bytes too far in (its empty struct member has size 1 there).
    struct Header {
        uint32_t first; // next entry for user space to take (user space writes it)
        uint32_t last;  // next entry KVM fills (KVM writes it)
    };
    static_assert(sizeof(kvm_coalesced_mmio) == 24);
    static constexpr size_t k_page_size = 4096;
    // KVM_COALESCED_MMIO_MAX for x86's 4 KiB page.
    static constexpr uint32_t k_entries = (k_page_size - sizeof(Header)) / sizeof(kvm_coalesced_mmio);

    struct Write {
        bool pio;
        uint64_t address;
        std::span<const uint8_t> data;
    };

    // `page` is the ring page inside a vCPU's kvm_run mapping (Vcpu::coalesced_ring).
    explicit CoalescedRing(uint8_t* page)
        : m_header(reinterpret_cast<Header*>(page))
        , m_entries(reinterpret_cast<const kvm_coalesced_mmio*>(page + sizeof(Header)))
    {
    }
    CoalescedRing(const CoalescedRing&) = delete;
    CoalescedRing& operator=(const CoalescedRing&) = delete;

    // Hands each pending write to `handler(const Write&)`, oldest first.
    template<typename Handler>
    void drain(Handler&& handler)
    {
        std::atomic_ref first(m_header->first);
        std::atomic_ref last(m_header->last);
        if (first.load(std::memory_order_acquire) == last.load(std::memory_order_acquire))
            return;
        std::lock_guard guard(m_lock);
        uint32_t index = first.load(std::memory_order_relaxed);
        while (index != last.load(std::memory_order_acquire) && index < k_entries) {
            const kvm_coalesced_mmio& entry = m_entries[index];
            uint8_t data[sizeof(entry.data)];
            uint32_t length = entry.len <= sizeof(data) ? entry.len : sizeof(data);
            for (uint32_t i = 0; i < length; ++i)
                data[i] = entry.data[i];
            handler(Write { entry.pio != 0, entry.phys_addr, std::span<const uint8_t>(data, length) });
            index = (index + 1) % k_entries;
            first.store(index, std::memory_order_release);
        }
    }

private:
    Header* m_header;
    const kvm_coalesced_mmio* m_entries;
    std::mutex m_lock;
};

} // namespace vireo
