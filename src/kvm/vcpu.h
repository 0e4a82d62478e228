#pragma once
// A KVM vCPU with its mapped kvm_run area. run() returns a typed exit that the machine
// dispatches; I/O data lives in kvm_run and is exposed as spans.
#include <linux/kvm.h>

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "base/mapping.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace vireo {

class Vm;

namespace exit {
struct IoIn { uint16_t port; std::span<uint8_t> data; };           // one access of data.size() bytes
struct IoOut { uint16_t port; std::span<const uint8_t> data; };
struct MmioRead { uint64_t address; std::span<uint8_t> data; };
struct MmioWrite { uint64_t address; std::span<const uint8_t> data; };
struct Halt { };
struct Shutdown { };   // triple fault: the guest wants a reset
struct SystemEvent { uint32_t type; }; // KVM_SYSTEM_EVENT_*
struct Interrupted { }; // a signal or immediate_exit kicked us out
struct Failure { uint32_t reason; uint64_t detail; }; // internal error or failed entry
}

// One KVM_RUN result. A string I/O instruction (rep ins/outs) becomes `count` IoIn/IoOut accesses.
using VcpuExit = std::variant<exit::IoIn, exit::IoOut, exit::MmioRead, exit::MmioWrite, exit::Halt, exit::Shutdown,
    exit::SystemEvent, exit::Interrupted, exit::Failure>;

class Vcpu {
public:
    // KVM uses the vCPU id as the initial APIC ID, so pass the APIC ID of this CPU.
    [[nodiscard]] static Result<Vcpu> create(const Vm& vm, uint32_t apic_id, size_t mmap_size);

    [[nodiscard]] uint32_t apic_id() const { return m_apic_id; }
    [[nodiscard]] int fd() const { return m_fd.get(); }

    // Runs until the next exit. For I/O, the caller handles each access in io_accesses().
    [[nodiscard]] VcpuExit run();
    // For string I/O: the number of repeated accesses in the last I/O exit.
    [[nodiscard]] uint32_t io_count() const;
    [[nodiscard]] std::span<uint8_t> io_data(uint32_t index) const;
    // All io_count() elements of the last I/O exit, back to back (a string I/O batch).
    [[nodiscard]] std::span<uint8_t> io_string_data() const;

    // Asks a running KVM_RUN to return (used with a signal to kick the thread).
    void set_immediate_exit(bool value) { run_area()->immediate_exit = value ? 1 : 0; }

    [[nodiscard]] Result<void> set_cpuid(std::span<const kvm_cpuid_entry2> entries);
    [[nodiscard]] Result<kvm_regs> get_regs() const;
    [[nodiscard]] Result<void> set_regs(const kvm_regs& regs);
    [[nodiscard]] Result<kvm_sregs> get_sregs() const;
    [[nodiscard]] Result<void> set_sregs(const kvm_sregs& sregs);
    [[nodiscard]] Result<void> set_fpu(const kvm_fpu& fpu);
    [[nodiscard]] Result<void> set_msrs(std::span<const kvm_msr_entry> msrs);
    [[nodiscard]] Result<kvm_lapic_state> get_lapic() const;
    [[nodiscard]] Result<kvm_mp_state> get_mp_state() const;
    [[nodiscard]] Result<void> set_lapic(const kvm_lapic_state& lapic);

private:
    Vcpu(UniqueFd fd, Mapping run, uint32_t apic_id)
        : m_fd(std::move(fd))
        , m_run(std::move(run))
        , m_apic_id(apic_id)
    {
    }
    [[nodiscard]] kvm_run* run_area() const { return reinterpret_cast<kvm_run*>(m_run.data()); }

    UniqueFd m_fd;
    Mapping m_run;
    uint32_t m_apic_id;
};

} // namespace vireo
