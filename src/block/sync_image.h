#pragma once
// A synchronous, read-only view of an image, used for backing files: a qcow2 image's
// metadata worker reads its backing chain through it. Not thread-safe; one owner thread.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/unique_fd.h"

namespace vireo {

// A run of guest bytes that lives contiguously in a host file (fd >= 0), or reads as zeros
// (fd < 0). Lets reads of mapped data bypass the format code and go straight to an I/O engine.
struct HostExtent {
    int fd = -1;
    uint64_t host = 0;
    uint64_t length = 0;
    uint64_t alignment = 1; // what fd's O_DIRECT demands (direct_io_alignment); 1: buffered
};

// Appends e to out, merging it into the last extent when it continues it.
inline void append_extent(std::vector<HostExtent>& out, HostExtent e)
{
    if (!out.empty()) {
        auto& last = out.back();
        bool zeros = last.fd < 0 && e.fd < 0;
        if (zeros || (last.fd >= 0 && last.fd == e.fd && last.host + last.length == e.host)) {
            last.length += e.length;
            return;
        }
    }
    out.push_back(e);
}

class SyncImage {
public:
    virtual ~SyncImage() = default;
    [[nodiscard]] virtual uint64_t size() const = 0;
    // Reads buffer.size() bytes at offset (bytes past size() read as zeros); 0 or -errno.
    virtual int read(uint64_t offset, std::span<uint8_t> buffer) = 0;
    // Appends the host extents of [offset, offset + length) without doing I/O; false when some
    // of it cannot be mapped so (metadata not cached, compressed data): then use read().
    // Same thread rules as read().
    virtual bool map_for_read(uint64_t offset, uint64_t length, std::vector<HostExtent>& out)
    {
        (void)offset;
        (void)length;
        (void)out;
        return false;
    }
};

// A raw file as a backing image.
class RawSyncImage final : public SyncImage {
public:
    RawSyncImage(UniqueFd fd, uint64_t size);
    uint64_t size() const override { return m_size; }
    int read(uint64_t offset, std::span<uint8_t> buffer) override;
    bool map_for_read(uint64_t offset, uint64_t length, std::vector<HostExtent>& out) override;

private:
    UniqueFd m_fd;
    uint64_t m_size;
    uint64_t m_alignment; // O_DIRECT (cache=none): reads bounce unless aligned
};

} // namespace vireo
