#pragma once
// One thread per vCPU: KVM_RUN in a loop, PIO/MMIO exits served synchronously on the buses.
// The thread is kicked out of KVM_RUN with immediate_exit plus a signal (SIGUSR1).
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "bus/bus.h"
#include "kvm/vcpu.h"
#include "machine/vm_control.h"
#include "profile/exit_counters.h"

namespace vireo {

// Off only to measure the profiler's cost: the loop then reads no clock and counts nothing.
enum class ExitProfiling { On, Off };

class VcpuThread {
public:
    VcpuThread(Vcpu vcpu, const Bus& pio, const Bus& mmio, VmControl& control,
        ExitProfiling profiling = ExitProfiling::On)
        : m_vcpu(std::move(vcpu))
        , m_pio(pio)
        , m_mmio(mmio)
        , m_control(control)
        , m_profiling(profiling)
    {
    }
    ~VcpuThread() { stop(); }
    VcpuThread(const VcpuThread&) = delete;
    VcpuThread& operator=(const VcpuThread&) = delete;

    // Installs the no-op SIGUSR1 handler used for kicks; call once before starting threads.
    static void install_kick_handler();

    // Held: the thread waits before its first KVM_RUN until resume() (-S).
    enum class Start { Running, Held };
    void start(Start mode = Start::Running);
    // Kicks the vCPU out of KVM_RUN and joins the thread.
    void stop();
    // Takes the vCPU out of KVM_RUN and holds it there; returns once it is held (or its
    // thread has ended). resume() lets it run again.
    void pause();
    void resume();
    // pause() in two halves, so that a machine kicks all its vCPUs before it waits for the first
    // to be held (the waits then overlap).
    void request_pause();
    void wait_until_held();
    // The host thread id running this vCPU (known once start() returns).
    [[nodiscard]] pid_t thread_id() const { return m_tid; }
    // Has the thread log its state (registers, local APIC) the next time it leaves KVM_RUN,
    // which this kicks it into doing.
    void request_state_report();

    [[nodiscard]] Vcpu& vcpu() { return m_vcpu; }
    // The exit profiler's counters: this thread writes them, any thread may read them.
    [[nodiscard]] const ExitCounters& exit_counters() const { return m_exits; }

private:
    void prepare_thread();
    void run_loop();
    template<ExitProfiling Profiling>
    void run_exits();
    // Serves one exit; false: the thread ends. Sets what the profiler counts it as.
    // Fills in served's reason and device; run_exits() its times.
    bool serve(const VcpuExit& result, ServedExit& served);
    BusDispatch handle_io_in(const exit::IoIn& io);
    BusDispatch handle_io_out(const exit::IoOut& io);
    std::string describe_triple_fault() const;
    void report_state();
    void hold_while_paused();
    void kick();

    Vcpu m_vcpu;
    const Bus& m_pio;
    const Bus& m_mmio;
    VmControl& m_control;
    ExitProfiling m_profiling;
    std::atomic<bool> m_stopping { false };
    std::atomic<bool> m_exited { false };
    std::atomic<bool> m_report_requested { false };
    std::atomic<bool> m_pause_requested { false };
    std::mutex m_pause_lock;
    std::condition_variable m_pause_changed;
    bool m_held = false;   // the thread waits in hold_while_paused (under m_pause_lock)
    std::atomic<pid_t> m_tid { 0 };
    ExitCounters m_exits;
    std::thread m_thread;
};

} // namespace vireo
