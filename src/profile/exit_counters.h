#pragma once
// One vCPU's exit counters. Its own thread is the only writer; other threads (the event loop
// answering x-vireo-query-exits or taking a reset's baseline) read them. A served exit is
// written as one unit under a sequence count, so a snapshot holds each exit whole or not at
// all: the exits by reason equal the devices' exits and each device's buckets add up to its
// exits, even while the vCPU runs (a baseline minus a later snapshot stays consistent too).
// The writer's cost is plain stores on x86 (no lock prefix, no fence instruction, no mutex).
// Everything is allocated at construction: nothing on the exit path allocates or makes a
// system call.
#include <atomic>
#include <cstdint>
#include <memory>

#include "bus/bus.h"
#include "profile/exit_stats.h"

namespace vireo {

// One exit as the vCPU loop served it.
struct ServedExit {
    ExitReason reason = ExitReason::Intr;
    uint64_t guest_ns = 0;   // in KVM_RUN before the exit
    uint64_t host_ns = 0;    // serving it
    // Which device served it, for Io and Mmio (slot 0: none claimed the access).
    BusKind bus = BusKind::Pio;
    BusSlot slot = 0;
};

class ExitCounters {
public:
    ExitCounters();

    void record(const ServedExit& exit);
    // Time the vCPU was held by stop or -S.
    void record_held(uint64_t ns);

    // Every counter, read from any thread.
    [[nodiscard]] VcpuExitStats snapshot() const;

private:
    using Counter = std::atomic<uint64_t>;
    static_assert(Counter::is_always_lock_free);
    struct Device {
        Counter exits { 0 };
        Counter busy_ns { 0 };
        std::array<Counter, k_latency_buckets> latency {};
    };

    // Single writer, inside begin_write()/end_write(): no read-modify-write instruction needed.
    static void bump(Counter& counter, uint64_t by)
    {
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
    void begin_write();
    void end_write();

    Counter m_sequence { 0 }; // odd while the vCPU thread writes
    std::array<Counter, k_exit_reason_count> m_reasons {};
    Counter m_guest_ns { 0 };
    Counter m_host_ns { 0 };
    Counter m_held_ns { 0 };
    std::unique_ptr<Device[]> m_pio;
    std::unique_ptr<Device[]> m_mmio;
};

} // namespace vireo
