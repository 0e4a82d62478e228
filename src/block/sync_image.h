#pragma once
// A synchronous, read-only view of an image, used for backing files: a qcow2 image's
// metadata worker reads its backing chain through it. Not thread-safe; one owner thread.
#include <cstdint>
#include <span>
#include <string>

#include "base/unique_fd.h"

namespace vireo {

class SyncImage {
public:
    virtual ~SyncImage() = default;
    [[nodiscard]] virtual uint64_t size() const = 0;
    // Reads buffer.size() bytes at offset (bytes past size() read as zeros); 0 or -errno.
    virtual int read(uint64_t offset, std::span<uint8_t> buffer) = 0;
};

// A raw file as a backing image.
class RawSyncImage final : public SyncImage {
public:
    RawSyncImage(UniqueFd fd, uint64_t size)
        : m_fd(std::move(fd))
        , m_size(size)
    {
    }
    uint64_t size() const override { return m_size; }
    int read(uint64_t offset, std::span<uint8_t> buffer) override;

private:
    UniqueFd m_fd;
    uint64_t m_size;
};

} // namespace vireo
