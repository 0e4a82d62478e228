#include "machine/vcpu_thread.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>

#include <fmt/format.h>

#include "base/log.h"
#include "machine/state_report.h"
#include "profile/profile_clock.h"
#include "sandbox/thread_spawner.h"

namespace vireo {

namespace {
constexpr int k_kick_signal = SIGUSR1;
}

void VcpuThread::install_kick_handler()
{
    struct sigaction action {};
    action.sa_handler = [](int) {};
    sigemptyset(&action.sa_mask);
    ::sigaction(k_kick_signal, &action, nullptr);
}

void VcpuThread::start(Start mode)
{
    m_pause_requested = mode == Start::Held;
    // Before its filter: the thread takes the kick signal and records its id.
    m_thread = sandbox::spawn_thread(sandbox::ThreadKind::Vcpu, fmt::format("vcpu{}", m_vcpu.apic_id()),
        [this] { run_loop(); }, [this] { prepare_thread(); });
    // The thread id is the first thing the thread records (query-cpus-fast asks for it).
    std::unique_lock lock(m_pause_lock);
    m_pause_changed.wait(lock, [this] { return m_tid != 0; });
}

void VcpuThread::kick()
{
    // immediate_exit covers a kick that lands while the thread is outside KVM_RUN.
    m_vcpu.set_immediate_exit(true);
    ::pthread_kill(m_thread.native_handle(), k_kick_signal);
}

void VcpuThread::pause()
{
    request_pause();
    wait_until_held();
}

void VcpuThread::request_pause()
{
    if (!m_thread.joinable())
        return;
    {
        std::lock_guard guard(m_pause_lock);
        m_pause_requested = true;
    }
    kick();
}

void VcpuThread::wait_until_held()
{
    if (!m_thread.joinable())
        return;
    std::unique_lock lock(m_pause_lock);
    // A thread blocked in a device call misses a kick: kick again until it is held.
    while (!m_pause_changed.wait_for(lock, std::chrono::milliseconds(1), [this] { return m_held || m_exited; }))
        kick();
}

void VcpuThread::resume()
{
    {
        std::lock_guard guard(m_pause_lock);
        m_pause_requested = false;
    }
    m_pause_changed.notify_all();
}

void VcpuThread::hold_while_paused()
{
    std::unique_lock lock(m_pause_lock);
    m_held = true;
    m_pause_changed.notify_all();
    m_pause_changed.wait(lock, [this] { return !m_pause_requested || m_stopping; });
    m_held = false;
}

void VcpuThread::stop()
{
    if (!m_thread.joinable())
        return;
    m_stopping = true;
    {
        std::lock_guard guard(m_pause_lock); // a held thread sees m_stopping when woken
    }
    m_pause_changed.notify_all();
    m_vcpu.set_immediate_exit(true);
    // Signal until the thread leaves: a kick that lands outside KVM_RUN is covered by
    // immediate_exit, but a thread blocked in a device call needs another go.
    {
        std::unique_lock lock(m_pause_lock);
        while (!m_exited) {
            ::pthread_kill(m_thread.native_handle(), k_kick_signal);
            m_pause_changed.wait_for(lock, std::chrono::milliseconds(1));
        }
    }
    m_thread.join();
}

void VcpuThread::request_state_report()
{
    if (!m_thread.joinable())
        return;
    m_report_requested = true;
    // immediate_exit covers a kick that lands while the thread is outside KVM_RUN.
    m_vcpu.set_immediate_exit(true);
    ::pthread_kill(m_thread.native_handle(), k_kick_signal);
}

void VcpuThread::report_state()
{
    if (!m_stopping)
        m_vcpu.set_immediate_exit(false);
    auto regs = m_vcpu.get_regs();
    auto mp = m_vcpu.get_mp_state();
    auto lapic = m_vcpu.get_lapic();
    if (!regs || !mp || !lapic) {
        log_warn("vCPU {}: state not available", m_vcpu.apic_id());
        return;
    }
    log_warn("{}", describe_vcpu_state(m_vcpu.apic_id(), *regs, *mp, *lapic));
}

BusDispatch VcpuThread::handle_io_in(const exit::IoIn& io)
{
    // A string instruction's elements go to the device as one batch (BusDevice::read_string).
    if (m_vcpu.io_count() > 1)
        return m_pio.read_string(io.port, io.data.size(), m_vcpu.io_string_data());
    return m_pio.read(io.port, io.data);
}

BusDispatch VcpuThread::handle_io_out(const exit::IoOut& io)
{
    if (m_vcpu.io_count() > 1)
        return m_pio.write_string(io.port, io.data.size(), m_vcpu.io_string_data());
    return m_pio.write(io.port, io.data);
}

std::string VcpuThread::describe_triple_fault() const
{
    // Where the guest was when it gave up: enough to find the faulting code in System.map. AMD's
    // KVM has already put the vCPU in its reset state (the VMCB is undefined after a shutdown
    // intercept), so there is nothing to say on those hosts.
    auto regs = m_vcpu.get_regs();
    auto sregs = m_vcpu.get_sregs();
    constexpr uint64_t k_reset_rip = 0xfff0;
    constexpr uint16_t k_reset_cs = 0xf000;
    if (!regs || !sregs || (regs->rip == k_reset_rip && sregs->cs.selector == k_reset_cs))
        return fmt::format("triple fault on vCPU {}", m_vcpu.apic_id());
    return fmt::format("triple fault on vCPU {} at rip {:#x} rsp {:#x} (cs {:#x}, cr0 {:#x}, cr2 {:#x}, cr3 {:#x}, "
                       "cr4 {:#x}, efer {:#x}, idt {:#x}/{:#x})",
        m_vcpu.apic_id(), regs->rip, regs->rsp, sregs->cs.selector, sregs->cr0, sregs->cr2, sregs->cr3, sregs->cr4,
        sregs->efer, sregs->idt.base, sregs->idt.limit);
}

void VcpuThread::prepare_thread()
{
    // Only this thread takes the kick signal; everything else (SIGINT, SIGTERM) stays blocked
    // here and reaches the event loop's signalfd.
    sigset_t kick;
    sigemptyset(&kick);
    sigaddset(&kick, k_kick_signal);
    ::pthread_sigmask(SIG_UNBLOCK, &kick, nullptr);
    {
        std::lock_guard guard(m_pause_lock);
        m_tid = ::gettid();
    }
    m_pause_changed.notify_all();
}

bool VcpuThread::serve(const VcpuExit& result, ServedExit& served)
{
    return std::visit(
        [this, &served](auto&& event) -> bool {
            using T = std::decay_t<decltype(event)>;
            if constexpr (std::is_same_v<T, exit::IoIn>) {
                served = { .reason = ExitReason::Io, .bus = BusKind::Pio, .slot = handle_io_in(event).slot };
            } else if constexpr (std::is_same_v<T, exit::IoOut>) {
                served = { .reason = ExitReason::Io, .bus = BusKind::Pio, .slot = handle_io_out(event).slot };
            } else if constexpr (std::is_same_v<T, exit::MmioRead>) {
                served = { .reason = ExitReason::Mmio, .bus = BusKind::Mmio, .slot = m_mmio.read(event.address, event.data).slot };
            } else if constexpr (std::is_same_v<T, exit::MmioWrite>) {
                served = { .reason = ExitReason::Mmio, .bus = BusKind::Mmio, .slot = m_mmio.write(event.address, event.data).slot };
            } else if constexpr (std::is_same_v<T, exit::Halt>) {
                // With the in-kernel LAPIC, HLT is handled by KVM; a user-space HLT exit
                // only happens without it. Nothing to do.
                served.reason = ExitReason::Hlt;
            } else if constexpr (std::is_same_v<T, exit::Shutdown>) {
                served.reason = ExitReason::Shutdown;
                m_control.request_stop(StopReason::Crash, describe_triple_fault());
                return false;
            } else if constexpr (std::is_same_v<T, exit::SystemEvent>) {
                served.reason = ExitReason::SystemEvent;
                if (event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
                    m_control.request_stop(StopReason::PowerOff);
                else
                    m_control.request_stop(StopReason::Reset, "KVM system event reset");
                return false;
            } else if constexpr (std::is_same_v<T, exit::Interrupted>) {
                // Kicked: the loop condition decides.
                served.reason = ExitReason::Intr;
                if (m_report_requested.exchange(false))
                    report_state();
            } else if constexpr (std::is_same_v<T, exit::Failure>) {
                served.reason = ExitReason::Failure;
                m_control.request_stop(StopReason::Error,
                    fmt::format("vCPU {}: KVM_RUN failed (exit reason {}, detail {:#x})", m_vcpu.apic_id(),
                        event.reason, event.detail));
                return false;
            }
            return true;
        },
        result);
}

template<ExitProfiling Profiling>
void VcpuThread::run_exits()
{
    constexpr bool profiled = Profiling == ExitProfiling::On;
    // The exit profiler's two clock reads per exit: as KVM_RUN returns and once the exit is
    // served (which is also when the next KVM_RUN starts).
    ProfileClock clock;
    [[maybe_unused]] uint64_t entered = profiled ? clock.now_ns() : 0;
    while (!m_stopping) {
        if (m_pause_requested) {
            hold_while_paused();
            if constexpr (profiled) {
                uint64_t released = clock.now_ns();
                m_exits.record_held(released - entered);
                entered = released;
            }
        }
        if (m_stopping)
            break;
        VcpuExit result = m_vcpu.run();
        [[maybe_unused]] uint64_t left = profiled ? clock.now_ns() : 0;
        ServedExit served;
        bool keep_going = serve(result, served);
        if constexpr (profiled) {
            uint64_t done = clock.now_ns();
            served.guest_ns = left - entered;
            served.host_ns = done - left;
            m_exits.record(served); // accesses no device claimed count under slot 0, "(none)"
            entered = done;
        }
        if (!keep_going)
            break;
    }
}

void VcpuThread::run_loop()
{
    if (m_profiling == ExitProfiling::On)
        run_exits<ExitProfiling::On>();
    else
        run_exits<ExitProfiling::Off>();
    {
        std::lock_guard guard(m_pause_lock); // stop() waits on m_pause_changed for this
        m_exited = true;
    }
    m_pause_changed.notify_all();
}

} // namespace vireo
