#pragma once
// Log2 latency buckets in nanoseconds: bucket 0 holds 0 ns, bucket b (b >= 1) holds
// [2^(b-1), 2^b) ns, and the last bucket everything from 2^30 ns (about a second) up.
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

namespace vireo {

inline constexpr size_t k_latency_buckets = 32;
using LatencyBuckets = std::array<uint64_t, k_latency_buckets>;

[[nodiscard]] constexpr size_t latency_bucket(uint64_t ns)
{
    return std::min<size_t>(static_cast<size_t>(std::bit_width(ns)), k_latency_buckets - 1);
}

// The smallest latency a bucket holds, and the first it does not (none for the last: 0).
[[nodiscard]] constexpr uint64_t bucket_floor_ns(size_t bucket) { return bucket == 0 ? 0 : uint64_t(1) << (bucket - 1); }
[[nodiscard]] constexpr uint64_t bucket_ceiling_ns(size_t bucket)
{
    return bucket + 1 >= k_latency_buckets ? 0 : uint64_t(1) << bucket;
}

// The bucket holding the q-quantile (0 < q <= 1) of the counts; 0 when there are none.
[[nodiscard]] constexpr size_t quantile_bucket(std::span<const uint64_t> buckets, double q)
{
    uint64_t total = 0;
    for (uint64_t count : buckets)
        total += count;
    if (total == 0)
        return 0;
    // The rank of the quantile, 1-based, rounded up: p50 of 2 values is the first.
    auto rank = static_cast<uint64_t>(q * static_cast<double>(total));
    if (static_cast<double>(rank) < q * static_cast<double>(total))
        ++rank;
    rank = std::clamp<uint64_t>(rank, 1, total);
    uint64_t seen = 0;
    for (size_t bucket = 0; bucket < buckets.size(); ++bucket) {
        seen += buckets[bucket];
        if (seen >= rank)
            return bucket;
    }
    return buckets.size() - 1;
}

} // namespace vireo
