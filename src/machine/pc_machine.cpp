#include "machine/pc_machine.h"

#include <signal.h>
#include <sys/signalfd.h>

#include "base/log.h"
#include "devices/chipset/pam.h"
#include "devices/display/vga_memory.h"
#include "devices/legacy/acpi_pm.h"
#include "machine/assembly/builders.h"
#include "machine/memory_map.h"
#include "machine/state_report.h"

namespace vireo {

Result<std::unique_ptr<PcMachine>> PcMachine::create(const VmConfig& config, EventLoop& loop, const KvmSystem& system,
    ConsoleMonitor* console_monitor)
{
    auto kvm = TRY(system.duplicate());
    auto vm = TRY(Vm::create(kvm));
    auto layout = TRY(compute_memory_layout(config.memory_bytes));
    auto memory = TRY(GuestMemory::create(layout.ram_regions, GuestMemory::Backing::Anonymous,
        GuestRamPolicy { .mergeable = config.ram.merge, .locked = config.ram.lock }));
    // The BIOS area's slots belong to the PAM (devices/chipset/pam.h); with a VGA, its legacy
    // window 0xA0000-0xBFFFF is MMIO (devices/display/std_vga.h) rather than RAM.
    std::vector<GuestRegionSpec> holes { GuestRegionSpec { Pam::k_area_start, Pam::k_area_size } };
    if (wants_std_vga(config))
        holes.push_back(GuestRegionSpec { VgaMemory::k_window_start, VgaMemory::k_window_size });
    TRY(vm->map_memory(memory, holes));
    auto machine = std::unique_ptr<PcMachine>(
        new PcMachine(config, std::move(kvm), std::move(vm), std::move(layout), std::move(memory), loop));
    TRY(machine->load_guest());
    machine->m_parts->console_monitor = console_monitor;
    TRY(machine->create_devices());
    TRY(machine->create_vcpus());
    TRY(machine->watch_signals());
    return machine;
}

PcMachine::PcMachine(const VmConfig& config, KvmSystem kvm, std::unique_ptr<Vm> vm, MemoryLayout layout,
    GuestMemory memory, EventLoop& loop)
    : m_config(config)
    , m_kvm(std::move(kvm))
    , m_vm(std::move(vm))
    , m_layout(std::move(layout))
    , m_memory(std::move(memory))
    , m_loop(&loop)
    , m_parts(std::make_unique<MachineParts>(config, m_layout, m_memory, *m_vm, loop, m_pio, m_mmio, *this))
{
}

PcMachine::~PcMachine()
{
    // vCPU threads use the buses and devices: stop them first.
    for (auto& vcpu : m_vcpus)
        vcpu->stop();
    m_vcpus.clear();
    m_parts.reset(); // devices, newest first, while the loop, buses, memory and VM still exist
    for (const auto& fd : m_fds)
        m_loop->remove(fd.get()); // the loop lives on: nothing of this machine may stay in it
}

Result<void> PcMachine::watch_signals()
{
    sigset_t signals;
    sigemptyset(&signals);
    for (int signal_number : { SIGINT, SIGTERM, SIGHUP, SIGUSR2 })
        sigaddset(&signals, signal_number);
    int fd = ::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return errno_error("signalfd");
    m_fds.emplace_back(fd);
    return m_loop->add(fd, EPOLLIN, [this, fd](uint32_t) {
        signalfd_siginfo info {};
        if (::read(fd, &info, sizeof(info)) != sizeof(info))
            return;
        if (info.ssi_signo == SIGUSR2)
            report_state();
        else
            request_stop(StopReason::Signal, std::to_string(info.ssi_signo));
    });
}

// SIGUSR2: the interrupt controllers, the timer and the UARTs here, each vCPU from its own
// thread (its registers can only be read outside KVM_RUN).
void PcMachine::report_state()
{
    for (uint32_t chip : { KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE, KVM_IRQCHIP_IOAPIC }) {
        auto state = m_vm->get_irqchip(chip);
        if (!state)
            log_warn("{}", state.error().describe());
        else if (chip == KVM_IRQCHIP_IOAPIC)
            log_warn("{}", describe_ioapic(state->chip.ioapic));
        else
            log_warn("{}", describe_pic(chip == KVM_IRQCHIP_PIC_MASTER ? "master" : "slave", state->chip.pic));
    }
    if (auto pit = m_vm->get_pit())
        log_warn("{}", describe_pit(*pit));
    for (const auto& reporter : m_parts->state_reporters)
        log_warn("{}", reporter());
    for (auto& vcpu : m_vcpus)
        vcpu->request_state_report();
}

void PcMachine::request_stop(StopReason reason, std::string detail)
{
    {
        std::lock_guard guard(m_stop_lock);
        if (m_stop_requested)
            return;
        m_stop_requested = true;
        m_exit = MachineExit { reason, std::move(detail) };
    }
    m_loop->stop();
}

std::optional<MachineExit> PcMachine::take_exit()
{
    std::lock_guard guard(m_stop_lock);
    if (!m_stop_requested)
        return std::nullopt;
    m_stop_requested = false;
    return m_exit;
}

void PcMachine::start(VcpuThread::Start mode)
{
    for (auto& vcpu : m_vcpus)
        vcpu->start(mode);
}

void PcMachine::pause()
{
    for (auto& vcpu : m_vcpus)
        vcpu->request_pause();
    for (auto& vcpu : m_vcpus)
        vcpu->wait_until_held();
    auto clock = m_vm->get_clock();
    m_paused_clock = clock ? std::optional(*clock) : std::nullopt;
}

void PcMachine::resume()
{
    if (m_paused_clock) {
        if (auto set = m_vm->set_clock(*m_paused_clock); !set)
            log_warn("{}", set.error().describe());
        m_paused_clock.reset();
    }
    for (auto& vcpu : m_vcpus)
        vcpu->resume();
}

void PcMachine::stop_vcpus()
{
    for (auto& vcpu : m_vcpus)
        vcpu->stop();
}

void PcMachine::press_power_button()
{
    if (m_parts->acpi_pm)
        m_parts->acpi_pm->press_power_button();
}

Result<std::pair<kvm_regs, kvm_sregs>> PcMachine::vcpu_registers(uint32_t index, VcpuAccess access)
{
    if (index >= m_vcpus.size())
        return make_error("no vCPU {}", index);
    auto& thread = *m_vcpus[index];
    if (access == VcpuAccess::Held)
        thread.pause();
    auto regs = thread.vcpu().get_regs();
    auto sregs = thread.vcpu().get_sregs();
    if (access == VcpuAccess::Held)
        thread.resume();
    if (!regs)
        return std::unexpected(regs.error());
    if (!sregs)
        return std::unexpected(sregs.error());
    return std::pair { *regs, *sregs };
}

std::vector<pid_t> PcMachine::vcpu_thread_ids() const
{
    std::vector<pid_t> ids;
    for (const auto& vcpu : m_vcpus)
        ids.push_back(vcpu->thread_id());
    return ids;
}

ExitProfileReport PcMachine::exit_report() const
{
    std::vector<VcpuExitStats> stats;
    for (size_t index = 0; index < m_vcpus.size(); ++index) {
        auto now = m_vcpus[index]->exit_counters().snapshot();
        stats.push_back(index < m_exit_baseline.size() ? exit_stats_since(now, m_exit_baseline[index]) : now);
    }
    return make_exit_report(stats, m_pio.slots(), m_mmio.slots());
}

void PcMachine::reset_exit_profile()
{
    m_exit_baseline.clear();
    for (const auto& vcpu : m_vcpus)
        m_exit_baseline.push_back(vcpu->exit_counters().snapshot());
}

} // namespace vireo
