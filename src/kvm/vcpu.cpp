#include "kvm/vcpu.h"

#include <sys/ioctl.h>

#include <memory>

#include "kvm/kvm_abi.h"
#include "kvm/vm.h"

namespace vireo {

Result<Vcpu> Vcpu::create(const Vm& vm, uint32_t apic_id, size_t mmap_size)
{
    int fd = ::ioctl(vm.fd(), KVM_CREATE_VCPU, apic_id);
    if (fd < 0)
        return errno_error("KVM_CREATE_VCPU {}", apic_id);
    UniqueFd vcpu_fd(fd);
    auto run = TRY(Mapping::map(mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    return Vcpu(std::move(vcpu_fd), std::move(run), apic_id);
}

VcpuExit Vcpu::run()
{
    if (::ioctl(m_fd.get(), KVM_RUN, 0) < 0) {
        if (errno == EINTR || errno == EAGAIN) {
            run_area()->immediate_exit = 0;
            return exit::Interrupted {};
        }
        return exit::Failure { 0, static_cast<uint64_t>(errno) };
    }
    kvm_run* run = run_area();
    switch (run->exit_reason) {
    case KVM_EXIT_IO: {
        auto data = io_data(0);
        if (run->io.direction == KVM_EXIT_IO_IN)
            return exit::IoIn { run->io.port, data };
        return exit::IoOut { run->io.port, data };
    }
    case KVM_EXIT_MMIO: {
        uint32_t length = std::min<uint32_t>(run->mmio.len, sizeof(run->mmio.data));
        if (run->mmio.is_write)
            return exit::MmioWrite { run->mmio.phys_addr, std::span<const uint8_t>(run->mmio.data, length) };
        return exit::MmioRead { run->mmio.phys_addr, std::span<uint8_t>(run->mmio.data, length) };
    }
    case KVM_EXIT_HLT:
        return exit::Halt {};
    case KVM_EXIT_SHUTDOWN:
        return exit::Shutdown {};
    case KVM_EXIT_SYSTEM_EVENT:
        return exit::SystemEvent { run->system_event.type };
    case KVM_EXIT_INTR:
        return exit::Interrupted {};
    case KVM_EXIT_FAIL_ENTRY:
        return exit::Failure { run->exit_reason, run->fail_entry.hardware_entry_failure_reason };
    case KVM_EXIT_INTERNAL_ERROR:
        return exit::Failure { run->exit_reason, run->internal.suberror };
    default:
        return exit::Failure { run->exit_reason, 0 };
    }
}

uint32_t Vcpu::io_count() const
{
    return run_area()->io.count;
}

std::span<uint8_t> Vcpu::io_data(uint32_t index) const
{
    kvm_run* run = run_area();
    // KVM places the data inside the mapped kvm_run area; bound it by the mapping anyway.
    uint64_t offset = run->io.data_offset + uint64_t(index) * run->io.size;
    if (offset + run->io.size > m_run.size())
        return {};
    return std::span<uint8_t>(m_run.data() + offset, run->io.size);
}

std::span<uint8_t> Vcpu::io_string_data() const
{
    kvm_run* run = run_area();
    uint64_t offset = run->io.data_offset;
    uint64_t length = uint64_t(run->io.count) * run->io.size;
    if (offset > m_run.size() || length > m_run.size() - offset)
        return {};
    return std::span<uint8_t>(m_run.data() + offset, length);
}

Result<void> Vcpu::set_cpuid(std::span<const kvm_cpuid_entry2> entries)
{
    kvm_abi::EntryList<kvm_cpuid_entry2> list(entries);
    if (::ioctl(m_fd.get(), kvm_abi::k_set_cpuid2, list.data()) < 0)
        return errno_error("KVM_SET_CPUID2");
    return {};
}

Result<kvm_regs> Vcpu::get_regs() const
{
    kvm_regs regs {};
    if (::ioctl(m_fd.get(), KVM_GET_REGS, &regs) < 0)
        return errno_error("KVM_GET_REGS");
    return regs;
}

Result<void> Vcpu::set_regs(const kvm_regs& regs)
{
    if (::ioctl(m_fd.get(), KVM_SET_REGS, &regs) < 0)
        return errno_error("KVM_SET_REGS");
    return {};
}

Result<kvm_sregs> Vcpu::get_sregs() const
{
    kvm_sregs sregs {};
    if (::ioctl(m_fd.get(), KVM_GET_SREGS, &sregs) < 0)
        return errno_error("KVM_GET_SREGS");
    return sregs;
}

Result<void> Vcpu::set_sregs(const kvm_sregs& sregs)
{
    if (::ioctl(m_fd.get(), KVM_SET_SREGS, &sregs) < 0)
        return errno_error("KVM_SET_SREGS");
    return {};
}

Result<void> Vcpu::set_fpu(const kvm_fpu& fpu)
{
    if (::ioctl(m_fd.get(), KVM_SET_FPU, &fpu) < 0)
        return errno_error("KVM_SET_FPU");
    return {};
}

Result<void> Vcpu::set_msrs(std::span<const kvm_msr_entry> msrs)
{
    kvm_abi::EntryList<kvm_msr_entry> list(msrs);
    int written = ::ioctl(m_fd.get(), kvm_abi::k_set_msrs, list.data());
    if (written < 0)
        return errno_error("KVM_SET_MSRS");
    if (static_cast<size_t>(written) != msrs.size())
        return make_error("KVM_SET_MSRS: MSR {:#x} was refused", msrs[static_cast<size_t>(written)].index);
    return {};
}

Result<kvm_lapic_state> Vcpu::get_lapic() const
{
    kvm_lapic_state lapic {};
    if (::ioctl(m_fd.get(), KVM_GET_LAPIC, &lapic) < 0)
        return errno_error("KVM_GET_LAPIC");
    return lapic;
}

Result<kvm_mp_state> Vcpu::get_mp_state() const
{
    kvm_mp_state state {};
    if (::ioctl(m_fd.get(), KVM_GET_MP_STATE, &state) < 0)
        return errno_error("KVM_GET_MP_STATE");
    return state;
}

Result<void> Vcpu::set_lapic(const kvm_lapic_state& lapic)
{
    if (::ioctl(m_fd.get(), KVM_SET_LAPIC, &lapic) < 0)
        return errno_error("KVM_SET_LAPIC");
    return {};
}

} // namespace vireo
