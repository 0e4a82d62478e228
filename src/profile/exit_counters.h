#pragma once
// One vCPU's exit counters. Its own thread is the only writer: a count is a relaxed load and
// store of a std::atomic (a plain add on x86, no lock prefix, no mutex), so other threads (the
// event loop answering x-vireo-query-exits) read each counter whole, never a torn value.
// Everything is allocated at construction: nothing on the exit path allocates or makes a
// system call.
#include <atomic>
#include <cstdint>
#include <memory>

#include "bus/bus.h"
#include "profile/exit_stats.h"

namespace vireo {

class ExitCounters {
public:
    ExitCounters();

    void count_exit(ExitReason reason) { bump(m_reasons[static_cast<size_t>(reason)], 1); }
    void add_guest_time(uint64_t ns) { bump(m_guest_ns, ns); }
    void add_host_time(uint64_t ns) { bump(m_host_ns, ns); }
    void add_held_time(uint64_t ns) { bump(m_held_ns, ns); }
    // A device on `bus` (its slot) served an exit in ns.
    void count_device(BusKind bus, BusSlot slot, uint64_t ns)
    {
        if (slot >= Bus::k_max_slots)
            slot = 0;
        auto& device = (bus == BusKind::Pio ? m_pio : m_mmio)[slot];
        bump(device.exits, 1);
        bump(device.busy_ns, ns);
        bump(device.latency[latency_bucket(ns)], 1);
    }

    // Every counter, read from any thread.
    [[nodiscard]] VcpuExitStats snapshot() const;

private:
    using Counter = std::atomic<uint64_t>;
    static_assert(Counter::is_always_lock_free);
    // Single writer: no read-modify-write instruction needed. Release: a reader that sees this
    // count sees the counts written before it (snapshot() relies on it; a plain store on x86).
    static void bump(Counter& counter, uint64_t by)
    {
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_release);
    }
    struct Device {
        Counter exits { 0 };
        Counter busy_ns { 0 };
        std::array<Counter, k_latency_buckets> latency {};
    };

    std::array<Counter, k_exit_reason_count> m_reasons {};
    Counter m_guest_ns { 0 };
    Counter m_host_ns { 0 };
    Counter m_held_ns { 0 };
    std::unique_ptr<Device[]> m_pio;
    std::unique_ptr<Device[]> m_mmio;
};

} // namespace vireo
