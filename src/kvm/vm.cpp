#include "kvm/vm.h"

#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>

#include "kvm/kvm_abi.h"

namespace vireo {

namespace {

// Where KVM keeps the TSS and the identity map it needs for real-mode emulation on Intel:
// four pages just below the largest firmware image (16 MiB under 4 GiB), outside RAM, the PCI
// window and the APICs (the addresses QEMU uses too).
constexpr uint64_t k_tss_address = 0xfeff'd000;
constexpr uint64_t k_identity_map_address = 0xfeff'c000;
// A dirty log's bit stands for one 4 KiB page.
constexpr uint64_t k_page_size = 4096;

class KvmInterruptLine final : public InterruptLine {
public:
    KvmInterruptLine(Vm& vm, uint32_t irq)
        : m_vm(vm)
        , m_irq(irq)
    {
    }
    void set_level(bool high) override { m_vm.set_irq_line(m_irq, high); }

private:
    Vm& m_vm;
    uint32_t m_irq;
};

kvm_irq_routing_entry irqchip_route(uint32_t gsi, uint32_t chip, uint32_t pin)
{
    kvm_irq_routing_entry entry {};
    entry.gsi = gsi;
    entry.type = KVM_IRQ_ROUTING_IRQCHIP;
    entry.u.irqchip.irqchip = chip;
    entry.u.irqchip.pin = pin;
    return entry;
}

} // namespace

Result<std::unique_ptr<Vm>> Vm::create(const KvmSystem& kvm)
{
    TRY(kvm.require_extension(KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"));
    TRY(kvm.require_extension(KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"));
    TRY(kvm.require_extension(KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"));
    TRY(kvm.require_extension(KVM_CAP_IRQFD, "KVM_CAP_IRQFD"));
    TRY(kvm.require_extension(KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING"));
    TRY(kvm.require_extension(KVM_CAP_PIT2, "KVM_CAP_PIT2"));
    TRY(kvm.require_extension(KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"));

    int fd = ::ioctl(kvm.fd(), KVM_CREATE_VM, 0);
    if (fd < 0)
        return errno_error("KVM_CREATE_VM");
    auto vm = std::unique_ptr<Vm>(new Vm(UniqueFd(fd)));
    vm->m_readonly_memory = kvm.check_extension(KVM_CAP_READONLY_MEM) > 0;
    // Dirty logs that vireo clears itself (kvm/reprotect_schedule.h): without it, a display
    // refresh write-protects every page the guest wrote.
    if (kvm.check_extension(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
        kvm_enable_cap cap {};
        cap.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
        cap.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
        vm->m_manual_protect = ::ioctl(fd, KVM_ENABLE_CAP, &cap) == 0;
    }
    if (::ioctl(fd, KVM_SET_TSS_ADDR, k_tss_address) < 0)
        return errno_error("KVM_SET_TSS_ADDR");
    uint64_t identity_map = k_identity_map_address;
    if (kvm.check_extension(KVM_CAP_SET_IDENTITY_MAP_ADDR) && ::ioctl(fd, KVM_SET_IDENTITY_MAP_ADDR, &identity_map) < 0)
        return errno_error("KVM_SET_IDENTITY_MAP_ADDR");
    TRY(vm->set_up_irqchip());
    return vm;
}

Result<void> Vm::set_up_irqchip()
{
    if (::ioctl(m_fd.get(), KVM_CREATE_IRQCHIP, 0) < 0)
        return errno_error("KVM_CREATE_IRQCHIP");
    // The PIT drives the speaker gate at port 0x61 itself, so port 0x61 never exits.
    kvm_pit_config pit {};
    pit.flags = KVM_PIT_SPEAKER_DUMMY;
    if (::ioctl(m_fd.get(), KVM_CREATE_PIT2, &pit) < 0)
        return errno_error("KVM_CREATE_PIT2");

    // ISA IRQs reach both the PICs and the IOAPIC. IRQ0 (the PIT) is IOAPIC pin 2, as the
    // MADT's interrupt source override says; pin 0 and PIC input 2 (the cascade) stay unused.
    std::lock_guard guard(m_routes_lock);
    for (uint32_t irq = 0; irq < 16; ++irq) {
        if (irq == 2)
            continue;
        uint32_t chip = irq < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
        m_routes.push_back(irqchip_route(irq, chip, irq % 8));
    }
    for (uint32_t gsi = 0; gsi < 24; ++gsi) {
        if (gsi == 2)
            continue;
        m_routes.push_back(irqchip_route(gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi));
    }
    return commit_routes();
}

Result<kvm_irqchip> Vm::get_irqchip(uint32_t chip) const
{
    kvm_irqchip state {};
    state.chip_id = chip;
    if (::ioctl(m_fd.get(), KVM_GET_IRQCHIP, &state) < 0)
        return errno_error("KVM_GET_IRQCHIP");
    return state;
}

Result<kvm_pit_state2> Vm::get_pit() const
{
    kvm_pit_state2 state {};
    if (::ioctl(m_fd.get(), KVM_GET_PIT2, &state) < 0)
        return errno_error("KVM_GET_PIT2");
    return state;
}

Result<uint64_t> Vm::get_clock() const
{
    kvm_clock_data data {};
    if (::ioctl(m_fd.get(), KVM_GET_CLOCK, &data) < 0)
        return errno_error("KVM_GET_CLOCK");
    return data.clock;
}

Result<void> Vm::set_clock(uint64_t nanoseconds)
{
    kvm_clock_data data {};
    data.clock = nanoseconds;
    if (::ioctl(m_fd.get(), KVM_SET_CLOCK, &data) < 0)
        return errno_error("KVM_SET_CLOCK");
    return {};
}

Result<void> Vm::commit_routes()
{
    kvm_abi::EntryList<kvm_irq_routing_entry> table { std::span<const kvm_irq_routing_entry>(m_routes) };
    if (::ioctl(m_fd.get(), kvm_abi::k_set_gsi_routing, table.data()) < 0)
        return errno_error("KVM_SET_GSI_ROUTING");
    return {};
}

Result<void> Vm::map_memory(const GuestMemory& memory, std::span<const GuestRegionSpec> holes)
{
    std::vector<GuestRegionSpec> sorted(holes.begin(), holes.end());
    std::ranges::sort(sorted, {}, &GuestRegionSpec::start);
    for (const auto& region : memory.regions()) {
        const uint64_t end = region.start + region.size;
        uint64_t cursor = region.start;
        auto map_piece = [&](uint64_t piece_end) -> Result<void> {
            if (piece_end > cursor)
                TRY(map_slot(cursor, piece_end - cursor, region.host + (cursor - region.start), SlotAccess::ReadWrite));
            return {};
        };
        for (const auto& hole : sorted) {
            const uint64_t hole_start = std::max(hole.start, region.start);
            const uint64_t hole_end = std::min(hole.start + hole.size, end);
            if (hole_start >= hole_end)
                continue;
            TRY(map_piece(hole_start));
            cursor = std::max(cursor, hole_end);
        }
        TRY(map_piece(end));
    }
    return {};
}

Result<SlotId> Vm::map_slot(uint64_t address, uint64_t size, uint8_t* host, SlotAccess access)
{
    if (access == SlotAccess::ReadOnly && !m_readonly_memory)
        return make_error("KVM has no read-only memory slots (KVM_CAP_READONLY_MEM)");
    std::lock_guard guard(m_slots_lock);
    kvm_userspace_memory_region slot {};
    if (!m_free_slots.empty()) {
        slot.slot = m_free_slots.back();
        m_free_slots.pop_back();
    } else {
        slot.slot = m_next_slot++;
    }
    slot.flags = access == SlotAccess::ReadOnly ? KVM_MEM_READONLY
        : access == SlotAccess::ReadWriteDirtyLog  ? KVM_MEM_LOG_DIRTY_PAGES
                                                   : 0;
    slot.guest_phys_addr = address;
    slot.memory_size = size;
    slot.userspace_addr = reinterpret_cast<uint64_t>(host);
    if (::ioctl(m_fd.get(), KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
        int error = errno;
        m_free_slots.push_back(slot.slot);
        errno = error;
        return errno_error("KVM_SET_USER_MEMORY_REGION at {:#x} ({:#x} bytes)", address, size);
    }
    if (access == SlotAccess::ReadWriteDirtyLog && m_manual_protect) {
        std::lock_guard logged(m_logged_lock);
        const uint64_t pages = size / k_page_size;
        const size_t words = (pages + 63) / 64;
        m_logged_slots.insert_or_assign(slot.slot, LoggedSlot { pages, ReprotectSchedule(words), std::vector<uint64_t>(words) });
    }
    return SlotId { slot.slot };
}

void Vm::unmap_slot(SlotId id)
{
    std::lock_guard guard(m_slots_lock);
    kvm_userspace_memory_region slot {};
    slot.slot = id.value; // size 0 deletes the slot
    if (::ioctl(m_fd.get(), KVM_SET_USER_MEMORY_REGION, &slot) == 0)
        m_free_slots.push_back(id.value);
    std::lock_guard logged(m_logged_lock);
    m_logged_slots.erase(id.value);
}

Result<void> Vm::take_dirty_pages(SlotId slot, std::span<uint64_t> bitmap)
{
    // KVM copies (slot pages + 63) / 64 words. Without manual protection it also clears its
    // log and write-protects each page named; with it, the schedule says which to protect.
    kvm_dirty_log log {};
    log.slot = slot.value;
    log.dirty_bitmap = bitmap.data();
    if (::ioctl(m_fd.get(), KVM_GET_DIRTY_LOG, &log) < 0)
        return errno_error("KVM_GET_DIRTY_LOG of slot {}", slot.value);
    std::lock_guard logged(m_logged_lock);
    auto found = m_logged_slots.find(slot.value);
    if (found == m_logged_slots.end())
        return {};
    LoggedSlot& entry = found->second;
    if (bitmap.size() < entry.clear.size())
        return make_error("dirty bitmap of slot {} too short ({} words)", slot.value, bitmap.size());
    if (!entry.schedule.next(bitmap.first(entry.clear.size()), entry.clear))
        return {};
    // api.rst 4.118: first_page 0 and the slot's own page count are always aligned enough.
    kvm_clear_dirty_log clear {};
    clear.slot = slot.value;
    clear.first_page = 0;
    clear.num_pages = static_cast<uint32_t>(entry.pages);
    clear.dirty_bitmap = entry.clear.data();
    if (::ioctl(m_fd.get(), KVM_CLEAR_DIRTY_LOG, &clear) < 0)
        return errno_error("KVM_CLEAR_DIRTY_LOG of slot {}", slot.value);
    return {};
}

void Vm::set_irq_line(uint32_t irq, bool high)
{
    kvm_irq_level level {};
    level.irq = irq;
    level.level = high ? 1 : 0;
    ::ioctl(m_fd.get(), KVM_IRQ_LINE, &level);
}

std::unique_ptr<InterruptLine> Vm::interrupt_line(uint32_t irq)
{
    return std::make_unique<KvmInterruptLine>(*this, irq);
}

Result<uint32_t> Vm::allocate_gsi()
{
    std::lock_guard guard(m_routes_lock);
    if (m_next_gsi >= 1024)
        return make_error("no free GSI for MSI");
    return m_next_gsi++;
}

Result<void> Vm::set_msi_route(uint32_t gsi, MsiMessage message)
{
    std::lock_guard guard(m_routes_lock);
    kvm_irq_routing_entry entry {};
    entry.gsi = gsi;
    entry.type = KVM_IRQ_ROUTING_MSI;
    entry.u.msi.address_lo = static_cast<uint32_t>(message.address);
    entry.u.msi.address_hi = static_cast<uint32_t>(message.address >> 32);
    entry.u.msi.data = message.data;
    auto existing = std::ranges::find_if(m_routes, [gsi](const auto& route) { return route.gsi == gsi; });
    if (existing != m_routes.end())
        *existing = entry;
    else
        m_routes.push_back(entry);
    return commit_routes();
}

Result<void> Vm::attach_irqfd(uint32_t gsi, int event_fd)
{
    kvm_irqfd irqfd {};
    irqfd.fd = static_cast<uint32_t>(event_fd);
    irqfd.gsi = gsi;
    if (::ioctl(m_fd.get(), KVM_IRQFD, &irqfd) < 0)
        return errno_error("KVM_IRQFD gsi {}", gsi);
    return {};
}

void Vm::detach_irqfd(uint32_t gsi, int event_fd)
{
    kvm_irqfd irqfd {};
    irqfd.fd = static_cast<uint32_t>(event_fd);
    irqfd.gsi = gsi;
    irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
    ::ioctl(m_fd.get(), KVM_IRQFD, &irqfd);
}

namespace {

kvm_ioeventfd ioeventfd_for(IoEventRegistrar::Space space, uint64_t address, uint32_t length, int event_fd,
    std::optional<uint64_t> datamatch)
{
    kvm_ioeventfd ioeventfd {};
    ioeventfd.addr = address;
    ioeventfd.len = length;
    ioeventfd.fd = event_fd;
    ioeventfd.flags = space == IoEventRegistrar::Space::Pio ? KVM_IOEVENTFD_FLAG_PIO : 0;
    if (datamatch) {
        ioeventfd.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
        ioeventfd.datamatch = *datamatch;
    }
    return ioeventfd;
}

} // namespace

Result<void> Vm::add_ioeventfd(Space space, uint64_t address, uint32_t length, int event_fd,
    std::optional<uint64_t> datamatch)
{
    kvm_ioeventfd ioeventfd = ioeventfd_for(space, address, length, event_fd, datamatch);
    if (::ioctl(m_fd.get(), KVM_IOEVENTFD, &ioeventfd) < 0)
        return errno_error("KVM_IOEVENTFD at {:#x}", address);
    return {};
}

void Vm::remove_ioeventfd(Space space, uint64_t address, uint32_t length, int event_fd,
    std::optional<uint64_t> datamatch)
{
    kvm_ioeventfd ioeventfd = ioeventfd_for(space, address, length, event_fd, datamatch);
    ioeventfd.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
    ::ioctl(m_fd.get(), KVM_IOEVENTFD, &ioeventfd);
}

} // namespace vireo
