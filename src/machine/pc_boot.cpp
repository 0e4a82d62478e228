// PcMachine: what is in guest memory before the first instruction (kernel, initrd, command
// line, ACPI tables) and the vCPUs that run it.
#include "kvm/vcpu.h"
#include "machine/acpi/acpi_tables.h"
#include "machine/boot/kernel_loader.h"
#include "machine/boot/x86_entry_state.h"
#include "machine/cpuid.h"
#include "machine/pc_acpi_config.h"
#include "machine/pc_layout.h"
#include "machine/pc_machine.h"
#include "machine/vcpu_setup.h"

namespace vireo {

Result<void> PcMachine::load_guest()
{
    if (m_config.kernel.empty())
        return {}; // firmware boot: the firmware loads what it boots (assembly/firmware_builder.cpp)

    auto tables = TRY(build_acpi_tables(pc_acpi_config(m_config, m_layout)));
    TRY(m_memory.write(tables.address, tables.image));

    m_boot = TRY(load_kernel_files(m_memory, m_config.kernel, m_config.initrd, m_config.append, m_layout.e820,
        tables.rsdp_address));
    return {};
}

Result<void> PcMachine::create_vcpus()
{
    auto supported = TRY(m_kvm.supported_cpuid());
    size_t mmap_size = TRY(m_kvm.vcpu_mmap_size());
    CpuTopology topology = topology_of(m_config.smp);
    CpuidExtras extras { .tsc_deadline_timer = m_kvm.check_extension(KVM_CAP_TSC_DEADLINE_TIMER) > 0 };
    for (uint32_t index = 0; index < m_config.smp.cpus; ++index) {
        auto vcpu = TRY(Vcpu::create(*m_vm, apic_id_of(topology, index), mmap_size));
        auto cpuid = compose_cpuid(supported, topology, index, extras);
        TRY(set_up_vcpu_common(vcpu, cpuid));
        // The boot CPU starts at the kernel's entry (with firmware, at the reset vector, as KVM
        // creates it: real mode, CS base 0xFFFF0000, IP 0xFFF0); the others wait for INIT/SIPI
        // from it, which the in-kernel LAPIC handles.
        if (index == 0 && !m_config.kernel.empty()) {
            auto regs = TRY(vcpu.get_regs());
            auto sregs = TRY(vcpu.get_sregs());
            TRY(prepare_boot_cpu(m_memory, m_boot, regs, sregs));
            TRY(vcpu.set_sregs(sregs));
            TRY(vcpu.set_regs(regs));
        }
        m_vcpus.push_back(std::make_unique<VcpuThread>(std::move(vcpu), m_pio, m_mmio, *this,
            m_config.exit_profiler ? ExitProfiling::On : ExitProfiling::Off));
    }
    return {};
}

} // namespace vireo
