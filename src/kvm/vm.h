#pragma once
// A KVM virtual machine: memory slots, the in-kernel irqchip (PIC, IOAPIC, LAPICs) and PIT,
// GSI routing with irqfds for MSI, and ioeventfds. It knows nothing of devices; devices reach
// it through the MsiRouter, IoEventRegistrar and InterruptLine interfaces.
#include <linux/kvm.h>

#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "bus/interrupt.h"
#include "kvm/kvm_system.h"
#include "kvm/reprotect_schedule.h"
#include "memory/guest_memory.h"
#include "memory/dirty_log.h"
#include "memory/memory_slots.h"

namespace vireo {

class Vm final : public MsiRouter, public IoEventRegistrar, public MemorySlots, public DirtyLog {
public:
    [[nodiscard]] static Result<std::unique_ptr<Vm>> create(const KvmSystem& kvm);

    [[nodiscard]] int fd() const { return m_fd.get(); }

    // Registers every region of guest memory as a KVM memory slot, except the parts inside
    // `holes` (page-aligned guest ranges that someone else maps, such as the PAM area).
    [[nodiscard]] Result<void> map_memory(const GuestMemory& memory, std::span<const GuestRegionSpec> holes = {});

    // MemorySlots
    [[nodiscard]] Result<SlotId> map_slot(uint64_t address, uint64_t size, uint8_t* host, SlotAccess access) override;
    void unmap_slot(SlotId slot) override;
    // DirtyLog (KVM_GET_DIRTY_LOG; with KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, also KVM_CLEAR_DIRTY_LOG
    // on a ReprotectSchedule, so a page may be named for a few reads after its last write)
    [[nodiscard]] Result<void> take_dirty_pages(SlotId slot, std::span<uint64_t> bitmap) override;

    // Sets the level of an in-kernel irqchip input (ISA IRQ / IOAPIC pin).
    void set_irq_line(uint32_t irq, bool high);
    // An InterruptLine wired to irq.
    [[nodiscard]] std::unique_ptr<InterruptLine> interrupt_line(uint32_t irq);

    // The in-kernel PICs and IOAPIC (chip KVM_IRQCHIP_*) and PIT, for diagnostics.
    [[nodiscard]] Result<kvm_irqchip> get_irqchip(uint32_t chip) const;
    [[nodiscard]] Result<kvm_pit_state2> get_pit() const;

    // The kvmclock's time (ns); set back after a pause, so the guest's clock does not jump by
    // the time the VM was stopped (as QEMU does around stop/cont).
    [[nodiscard]] Result<uint64_t> get_clock() const;
    [[nodiscard]] Result<void> set_clock(uint64_t nanoseconds);

    // MsiRouter
    [[nodiscard]] Result<uint32_t> allocate_gsi() override;
    [[nodiscard]] Result<void> set_msi_route(uint32_t gsi, MsiMessage message) override;
    [[nodiscard]] Result<void> attach_irqfd(uint32_t gsi, int event_fd) override;
    void detach_irqfd(uint32_t gsi, int event_fd) override;

    // IoEventRegistrar
    [[nodiscard]] Result<void> add_ioeventfd(Space space, uint64_t address, uint32_t length, int event_fd,
        std::optional<uint64_t> datamatch) override;
    void remove_ioeventfd(Space space, uint64_t address, uint32_t length, int event_fd,
        std::optional<uint64_t> datamatch) override;

private:
    explicit Vm(UniqueFd fd)
        : m_fd(std::move(fd))
    {
    }
    [[nodiscard]] Result<void> set_up_irqchip();
    [[nodiscard]] Result<void> commit_routes();

    UniqueFd m_fd;
    std::mutex m_slots_lock;
    uint32_t m_next_slot = 0;
    std::vector<uint32_t> m_free_slots; // slot numbers given back by unmap_slot
    bool m_readonly_memory = false;      // KVM_CAP_READONLY_MEM
    bool m_manual_protect = false;       // KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled
    // Dirty-logged slots under manual protection: their size and when to protect pages again.
    struct LoggedSlot {
        uint64_t pages = 0;
        ReprotectSchedule schedule;
        std::vector<uint64_t> clear; // this read's stripe
    };
    std::mutex m_logged_lock;
    std::unordered_map<uint32_t, LoggedSlot> m_logged_slots;
    std::mutex m_routes_lock;
    std::vector<kvm_irq_routing_entry> m_routes; // the whole table: KVM_SET_GSI_ROUTING replaces it
    uint32_t m_next_gsi = 24;                    // 0-23 are the IOAPIC pins
};

} // namespace vireo
