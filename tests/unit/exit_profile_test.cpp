// The exit profiler below the monitor: log2 latency buckets, one vCPU's counters (single
// writer, read from another thread), the reset baseline, the bus's slots and names, and the
// report that joins them.
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include "bus/bus.h"
#include "profile/exit_counters.h"
#include "profile/exit_report.h"
#include "profile/latency_histogram.h"

namespace vireo {
namespace {

class NullDevice final : public BusDevice {
public:
    void read(uint64_t, std::span<uint8_t> data) override { std::ranges::fill(data, 0); }
    void write(uint64_t, std::span<const uint8_t>) override { }
};

TEST(LatencyHistogram, BucketsArePowersOfTwoInNanoseconds)
{
    EXPECT_EQ(latency_bucket(0), 0u);
    EXPECT_EQ(latency_bucket(1), 1u);
    EXPECT_EQ(latency_bucket(2), 2u);
    EXPECT_EQ(latency_bucket(3), 2u);
    EXPECT_EQ(latency_bucket(1023), 10u);
    EXPECT_EQ(latency_bucket(1024), 11u);
    EXPECT_EQ(latency_bucket(uint64_t(1) << 30), k_latency_buckets - 1);
    EXPECT_EQ(latency_bucket(~uint64_t(0)), k_latency_buckets - 1);
    for (size_t bucket = 1; bucket + 1 < k_latency_buckets; ++bucket) {
        EXPECT_EQ(latency_bucket(bucket_floor_ns(bucket)), bucket);
        EXPECT_EQ(latency_bucket(bucket_ceiling_ns(bucket) - 1), bucket);
        EXPECT_EQ(latency_bucket(bucket_ceiling_ns(bucket)), bucket + 1);
    }
    EXPECT_EQ(bucket_ceiling_ns(k_latency_buckets - 1), 0u); // open-ended
}

TEST(LatencyHistogram, QuantilesPickTheBucketHoldingTheRank)
{
    LatencyBuckets buckets {};
    EXPECT_EQ(quantile_bucket(buckets, 0.5), 0u); // empty
    buckets[3] = 98; // 98 exits in [4, 8) ns
    buckets[20] = 2; // 2 in [0.5, 1) ms
    EXPECT_EQ(quantile_bucket(buckets, 0.5), 3u);
    EXPECT_EQ(quantile_bucket(buckets, 0.98), 3u);
    EXPECT_EQ(quantile_bucket(buckets, 0.99), 20u);
    EXPECT_EQ(quantile_bucket(buckets, 1.0), 20u);
}

TEST(ExitCounters, CountReasonsTimesAndDevices)
{
    ExitCounters counters;
    counters.record({ .reason = ExitReason::Io, .guest_ns = 600, .host_ns = 100, .slot = 3 }); // bucket 7: [64, 128)
    counters.record({ .reason = ExitReason::Io, .guest_ns = 400, .host_ns = 5000, .slot = 3 }); // bucket 13
    counters.record({ .reason = ExitReason::Mmio, .bus = BusKind::Mmio, .slot = 2 });
    counters.record({ .reason = ExitReason::Hlt, .host_ns = 30, .slot = 5 }); // no device: slot ignored
    counters.record_held(7);

    auto stats = counters.snapshot();
    EXPECT_EQ(stats.reasons[static_cast<size_t>(ExitReason::Io)], 2u);
    EXPECT_EQ(stats.reasons[static_cast<size_t>(ExitReason::Mmio)], 1u);
    EXPECT_EQ(stats.reasons[static_cast<size_t>(ExitReason::Hlt)], 1u);
    EXPECT_EQ(stats.reasons[static_cast<size_t>(ExitReason::Intr)], 0u);
    EXPECT_EQ(stats.guest_ns, 1000u);
    EXPECT_EQ(stats.host_ns, 5130u);
    EXPECT_EQ(stats.held_ns, 7u);
    ASSERT_EQ(stats.pio.size(), Bus::k_max_slots);
    EXPECT_EQ(stats.pio[3].exits, 2u);
    EXPECT_EQ(stats.pio[3].busy_ns, 5100u);
    EXPECT_EQ(stats.pio[3].latency[7], 1u);
    EXPECT_EQ(stats.pio[3].latency[13], 1u);
    EXPECT_EQ(stats.mmio[2].exits, 1u);
    EXPECT_EQ(stats.mmio[2].latency[0], 1u);
    EXPECT_EQ(stats.mmio[3].exits, 0u);
    EXPECT_EQ(stats.pio[5].exits, 0u);
}

TEST(ExitCounters, SlotBeyondTheTableCountsAsNoDevice)
{
    ExitCounters counters;
    counters.record({ .reason = ExitReason::Io, .host_ns = 10, .slot = static_cast<BusSlot>(Bus::k_max_slots + 5) });
    EXPECT_EQ(counters.snapshot().pio[0].exits, 1u);
}

// Each snapshot of a running vCPU holds every exit whole: the exits by reason equal the
// device's, its buckets add up to its exits, its time to 40 ns an exit. A baseline taken
// mid-exit used to hold the reason without the device, so the counts since it had one more
// device exit than port I/O exits (a guest test's check failed so in CI).
TEST(ExitCounters, AnotherThreadSeesEachExitWholeOrNotAtAll)
{
    ExitCounters counters;
    // The vCPU goes on until the reader has looked often enough: under a sanitizer a read is
    // slow enough that a fixed number of exits was over after 5 reads (CI).
    constexpr uint64_t k_min_exits = 10'000;
    constexpr uint64_t k_min_snapshots = 200;
    std::atomic<uint64_t> snapshots { 0 };
    std::atomic<uint64_t> recorded { 0 };
    std::atomic<bool> done { false };
    std::thread vcpu([&] {
        uint64_t i = 0;
        for (; i < k_min_exits || snapshots < k_min_snapshots; ++i) {
            counters.record({ .reason = ExitReason::Io, .guest_ns = 1, .host_ns = 40, .slot = 1 });
            // A real exit's round trip through user space takes microseconds (a nested one, tens);
            // a read under a sanitizer takes a few, so the gap is 10 for reads to fit in.
            for (auto start = std::chrono::steady_clock::now();
                 std::chrono::steady_clock::now() - start < std::chrono::microseconds(10);) { }
        }
        recorded = i;
        done = true;
    });
    uint64_t last = 0;
    uint64_t inconsistent = 0;
    uint64_t moved = 0;
    bool went_backwards = false;
    while (!done) {
        auto now = counters.snapshot();
        uint64_t io = now.reasons[static_cast<size_t>(ExitReason::Io)];
        uint64_t buckets = 0;
        for (auto count : now.pio[1].latency)
            buckets += count;
        bool whole = io == now.pio[1].exits && buckets == io && now.pio[1].busy_ns == 40 * io
            && now.guest_ns == io && now.host_ns == 40 * io;
        inconsistent += whole ? 0 : 1;
        went_backwards = went_backwards || io < last;
        moved += io != last ? 1 : 0;
        last = io;
        ++snapshots;
    }
    vcpu.join();
    EXPECT_GE(snapshots.load(), k_min_snapshots);
    EXPECT_GT(moved, 1u) << "the reads never overlapped the writes";
    EXPECT_EQ(inconsistent, 0u);
    EXPECT_FALSE(went_backwards);
    EXPECT_LE(last, recorded.load()); // no read counted an exit that was never recorded
    auto stats = counters.snapshot();
    EXPECT_EQ(stats.reasons[static_cast<size_t>(ExitReason::Io)], recorded.load());
    EXPECT_EQ(stats.pio[1].exits, recorded.load());
    EXPECT_EQ(stats.pio[1].busy_ns, 40 * recorded.load());
}

// A vCPU that exits without pause (no real one can) does not hold a reader for ever.
TEST(ExitCounters, AReaderIsNotHeldByAVcpuThatNeverStops)
{
    ExitCounters counters;
    std::atomic<bool> done { false };
    std::thread vcpu([&] {
        while (!done)
            counters.record({ .reason = ExitReason::Mmio, .host_ns = 3, .bus = BusKind::Mmio, .slot = 2 });
    });
    uint64_t last = 0;
    auto started = std::chrono::steady_clock::now();
    for (int read = 0; read < 10; ++read) {
        uint64_t exits = counters.snapshot().mmio[2].exits;
        EXPECT_GE(exits, last);
        last = exits;
    }
    // Each read gives up after 50 ms of tries; 10 reads within seconds, even under a sanitizer.
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    done = true;
    vcpu.join();
}

TEST(ExitStats, ABaselineResetsWithoutTouchingTheCounters)
{
    ExitCounters counters;
    counters.record({ .reason = ExitReason::Io, .guest_ns = 50, .host_ns = 300, .slot = 4 });
    auto baseline = counters.snapshot();

    auto cleared = exit_stats_since(counters.snapshot(), baseline);
    EXPECT_EQ(cleared.reasons[static_cast<size_t>(ExitReason::Io)], 0u);
    EXPECT_EQ(cleared.pio[4].exits, 0u);
    EXPECT_EQ(cleared.pio[4].latency[latency_bucket(300)], 0u);
    EXPECT_EQ(cleared.guest_ns, 0u);

    counters.record({ .reason = ExitReason::Io, .host_ns = 20, .slot = 4 });
    auto later = exit_stats_since(counters.snapshot(), baseline);
    EXPECT_EQ(later.reasons[static_cast<size_t>(ExitReason::Io)], 1u);
    EXPECT_EQ(later.pio[4].exits, 1u);
    EXPECT_EQ(later.pio[4].busy_ns, 20u);
    EXPECT_EQ(later.pio[4].latency[latency_bucket(20)], 1u);
    EXPECT_EQ(later.pio[4].latency[latency_bucket(300)], 0u);
}

TEST(BusSlots, EachNamedRangeHasASlotThatDispatchReturns)
{
    Bus bus("pio");
    auto serial = std::make_shared<NullDevice>();
    auto post = std::make_shared<NullDevice>();
    ASSERT_TRUE(bus.insert(serial, 0x3f8, 8, "serial0"));
    ASSERT_TRUE(bus.insert(post, 0x80, 1));
    std::array<uint8_t, 1> byte { 0 };
    auto to_serial = bus.write(0x3fd, byte);
    auto to_post = bus.read(0x80, byte);
    auto to_nothing = bus.write(0x2f8, byte);
    EXPECT_TRUE(to_serial);
    EXPECT_TRUE(to_post);
    EXPECT_FALSE(to_nothing);
    EXPECT_EQ(to_nothing.slot, 0);
    EXPECT_NE(to_serial.slot, to_post.slot);

    auto slots = bus.slots();
    ASSERT_EQ(slots.size(), 3u);
    EXPECT_EQ(slots[0].name, "(none)");
    EXPECT_EQ(slots[to_serial.slot].name, "serial0");
    EXPECT_EQ(slots[to_serial.slot].base, 0x3f8u);
    EXPECT_EQ(slots[to_post.slot].name, "pio-0x80"); // unnamed: the bus and the base
}

TEST(BusSlots, AMovedRangeKeepsItsSlot)
{
    Bus bus("mmio");
    auto bar = std::make_shared<NullDevice>();
    ASSERT_TRUE(bus.insert(bar, 0xfe000000, 0x1000, "pci 00:04.0 bar4"));
    std::array<uint8_t, 4> data {};
    auto before = bus.read(0xfe000010, data);
    ASSERT_TRUE(bus.remove(0xfe000000));
    ASSERT_TRUE(bus.insert(bar, 0xfd000000, 0x1000, "pci 00:04.0 bar4"));
    auto after = bus.read(0xfd000010, data);
    EXPECT_EQ(before.slot, after.slot);
    EXPECT_EQ(bus.slots()[after.slot].base, 0xfd000000u);
    EXPECT_EQ(bus.slots().size(), 2u);
}

TEST(BusSlots, NamesBeyondTheTableShareTheLastSlot)
{
    Bus bus("pio");
    auto device = std::make_shared<NullDevice>();
    for (uint64_t port = 0; port < Bus::k_max_slots + 10; ++port)
        ASSERT_TRUE(bus.insert(device, 0x1000 + port, 1));
    std::array<uint8_t, 1> byte {};
    auto last = bus.read(0x1000 + Bus::k_max_slots + 9, byte);
    EXPECT_EQ(last.slot, Bus::k_max_slots - 1);
    auto slots = bus.slots();
    EXPECT_EQ(slots.size(), Bus::k_max_slots);
    EXPECT_EQ(slots.back().name, "(other)");
}

TEST(ExitReport, NamesDevicesAndSumsTheVcpus)
{
    std::vector<BusSlotInfo> pio { { "(none)", 0, 0 }, { "serial0", 0x3f8, 8 }, { "post", 0x80, 1 } };
    std::vector<BusSlotInfo> mmio { { "(none)", 0, 0 }, { "pci 00:04.0 bar4", 0xfe000000, 0x4000 } };
    ExitCounters first;
    ExitCounters second;
    first.record({ .reason = ExitReason::Io, .guest_ns = 10, .host_ns = 100, .slot = 2 });
    second.record({ .reason = ExitReason::Io, .guest_ns = 20, .host_ns = 300, .slot = 2 });
    second.record({ .reason = ExitReason::Mmio, .host_ns = 2000, .bus = BusKind::Mmio, .slot = 1 });
    std::vector<VcpuExitStats> stats { first.snapshot(), second.snapshot() };

    auto report = make_exit_report(stats, pio, mmio);
    ASSERT_EQ(report.vcpus.size(), 2u);
    ASSERT_EQ(report.vcpus[0].devices.size(), 1u); // serial0 served nothing: left out
    EXPECT_EQ(report.vcpus[0].devices[0].name, "post");
    EXPECT_EQ(report.vcpus[0].devices[0].base, 0x80u);
    ASSERT_EQ(report.vcpus[1].devices.size(), 2u);
    EXPECT_EQ(report.vcpus[1].devices[1].name, "pci 00:04.0 bar4");
    EXPECT_EQ(report.vcpus[1].devices[1].bus, BusKind::Mmio);
    EXPECT_EQ(report.total.guest_ns, 30u);
    EXPECT_EQ(report.total.reasons[static_cast<size_t>(ExitReason::Io)], 2u);
    ASSERT_EQ(report.total.devices.size(), 2u);
    EXPECT_EQ(report.total.devices[0].name, "post");
    EXPECT_EQ(report.total.devices[0].stats.exits, 2u);
    EXPECT_EQ(report.total.devices[0].stats.busy_ns, 400u);
}

} // namespace
} // namespace vireo
