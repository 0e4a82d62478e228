#pragma once
// Helpers over iovec arrays: total length, advancing past transferred bytes, zero-filling,
// copying between an iovec array and a flat buffer.
#include <sys/uio.h>

#include <climits>

#include <algorithm>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace vireo {

inline uint64_t iov_length(std::span<const iovec> iov)
{
    uint64_t total = 0;
    for (auto const& v : iov)
        total += v.iov_len;
    return total;
}

// Drops the first `bytes` bytes from the front of iov.
inline void iov_advance(std::vector<iovec>& iov, uint64_t bytes)
{
    size_t i = 0;
    while (i < iov.size() && bytes >= iov[i].iov_len) {
        bytes -= iov[i].iov_len;
        ++i;
    }
    iov.erase(iov.begin(), iov.begin() + static_cast<std::ptrdiff_t>(i));
    if (!iov.empty() && bytes > 0) {
        iov[0].iov_base = static_cast<uint8_t*>(iov[0].iov_base) + bytes;
        iov[0].iov_len -= bytes;
    }
}

// The iovecs covering bytes [skip, skip + length) of iov.
inline std::vector<iovec> iov_slice(std::span<const iovec> iov, uint64_t skip, uint64_t length)
{
    std::vector<iovec> out;
    for (auto const& v : iov) {
        if (length == 0)
            break;
        if (skip >= v.iov_len) {
            skip -= v.iov_len;
            continue;
        }
        uint64_t n = std::min<uint64_t>(v.iov_len - skip, length);
        out.push_back({ static_cast<uint8_t*>(v.iov_base) + skip, n });
        length -= n;
        skip = 0;
    }
    return out;
}

inline void iov_zero(std::span<const iovec> iov)
{
    for (auto const& v : iov)
        std::memset(v.iov_base, 0, v.iov_len);
}

// Copies bytes [skip, skip + out.size()) of the iovec data into out; returns bytes copied.
inline uint64_t iov_to_buffer(std::span<const iovec> iov, uint64_t skip, std::span<uint8_t> out)
{
    uint64_t done = 0;
    for (auto const& v : iov) {
        if (done == out.size())
            break;
        if (skip >= v.iov_len) {
            skip -= v.iov_len;
            continue;
        }
        uint64_t n = std::min<uint64_t>(v.iov_len - skip, out.size() - done);
        std::memcpy(out.data() + done, static_cast<const uint8_t*>(v.iov_base) + skip, n);
        done += n;
        skip = 0;
    }
    return done;
}

// Copies in into the iovec data starting at byte skip; returns bytes copied.
inline uint64_t buffer_to_iov(std::span<const uint8_t> in, std::span<const iovec> iov, uint64_t skip)
{
    uint64_t done = 0;
    for (auto const& v : iov) {
        if (done == in.size())
            break;
        if (skip >= v.iov_len) {
            skip -= v.iov_len;
            continue;
        }
        uint64_t n = std::min<uint64_t>(v.iov_len - skip, in.size() - done);
        std::memcpy(static_cast<uint8_t*>(v.iov_base) + skip, in.data() + done, n);
        done += n;
        skip = 0;
    }
    return done;
}

} // namespace vireo
