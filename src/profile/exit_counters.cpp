#include "profile/exit_counters.h"

#include <chrono>
#include <thread>

namespace vireo {

namespace {

// Fills `copy` in place: a read that must go again allocates and clears nothing, so it stays
// short next to the gap between two exits.
template<typename Device>
void copy_devices(const Device* devices, std::vector<DeviceExitStats>& copy)
{
    copy.resize(Bus::k_max_slots);
    for (size_t slot = 0; slot < Bus::k_max_slots; ++slot) {
        const auto& device = devices[slot];
        auto& out = copy[slot];
        // Counts only grow: a slot at 0 now was 0 in every earlier go, as resize left it.
        out.exits = device.exits.load(std::memory_order_relaxed);
        if (out.exits == 0)
            continue; // most slots: one load keeps the read short (a later write changes the sequence)
        for (size_t bucket = 0; bucket < k_latency_buckets; ++bucket)
            out.latency[bucket] = device.latency[bucket].load(std::memory_order_relaxed);
        out.busy_ns = device.busy_ns.load(std::memory_order_relaxed);
    }
}

} // namespace

ExitCounters::ExitCounters()
    : m_pio(std::make_unique<Device[]>(Bus::k_max_slots))
    , m_mmio(std::make_unique<Device[]>(Bus::k_max_slots))
{
}

// A sequence lock (the writer never waits): the count is odd while a write is under way, and a
// reader that saw it odd, or changed, reads again.
void ExitCounters::begin_write()
{
    m_sequence.store(m_sequence.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
}

void ExitCounters::end_write()
{
    m_sequence.store(m_sequence.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void ExitCounters::record(const ServedExit& exit)
{
    begin_write();
    bump(m_reasons[static_cast<size_t>(exit.reason)], 1);
    bump(m_guest_ns, exit.guest_ns);
    bump(m_host_ns, exit.host_ns);
    if (exit.reason == ExitReason::Io || exit.reason == ExitReason::Mmio) {
        BusSlot slot = exit.slot < Bus::k_max_slots ? exit.slot : 0;
        auto& device = (exit.bus == BusKind::Pio ? m_pio : m_mmio)[slot];
        bump(device.exits, 1);
        bump(device.busy_ns, exit.host_ns);
        bump(device.latency[latency_bucket(exit.host_ns)], 1);
    }
    end_write();
}

void ExitCounters::record_held(uint64_t ns)
{
    begin_write();
    bump(m_held_ns, ns);
    end_write();
}

VcpuExitStats ExitCounters::snapshot() const
{
    // A read takes well under a microsecond, an exit's round trip through user space more, so
    // a read rarely needs another go. A vCPU thread preempted inside a write (a busy host) holds
    // the count odd for up to a time slice: the reader yields and goes on. Only a vCPU exiting
    // without pause (a test's loop) can keep it going for k_patience; then the last read
    // stands, each count whole but an exit under way perhaps counted in part.
    constexpr auto k_patience = std::chrono::milliseconds(50);
    auto started = std::chrono::steady_clock::now();
    bool patient = true;
    VcpuExitStats stats;
    for (unsigned attempt = 1;; ++attempt) {
        uint64_t before = m_sequence.load(std::memory_order_acquire);
        if (before % 2 == 0 || !patient) {
            copy_devices(m_pio.get(), stats.pio);
            copy_devices(m_mmio.get(), stats.mmio);
            for (size_t reason = 0; reason < k_exit_reason_count; ++reason)
                stats.reasons[reason] = m_reasons[reason].load(std::memory_order_relaxed);
            stats.guest_ns = m_guest_ns.load(std::memory_order_relaxed);
            stats.host_ns = m_host_ns.load(std::memory_order_relaxed);
            stats.held_ns = m_held_ns.load(std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_acquire);
            if (m_sequence.load(std::memory_order_relaxed) == before || !patient)
                return stats;
        }
        // A write takes a few stores; if its thread was preempted inside one, let it finish.
        if (attempt % 64 == 0) {
            std::this_thread::yield();
            patient = std::chrono::steady_clock::now() - started < k_patience;
        }
    }
}

} // namespace vireo
