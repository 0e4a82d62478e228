#include "block/sync_image.h"

#include <algorithm>
#include <cstring>

#include "block/aligned_io.h"

namespace vireo {

RawSyncImage::RawSyncImage(UniqueFd fd, uint64_t size)
    : m_fd(std::move(fd))
    , m_size(size)
    , m_alignment(direct_io_alignment(m_fd.get()))
{
}

int RawSyncImage::read(uint64_t offset, std::span<uint8_t> buffer)
{
    if (offset >= m_size) {
        std::memset(buffer.data(), 0, buffer.size());
        return 0;
    }
    uint64_t inside = std::min<uint64_t>(buffer.size(), m_size - offset);
    std::memset(buffer.data() + inside, 0, buffer.size() - inside);
    return pread_aligned(m_fd.get(), m_alignment, buffer.first(inside), offset);
}

bool RawSyncImage::map_for_read(uint64_t offset, uint64_t length, std::vector<HostExtent>& out)
{
    uint64_t inside = offset >= m_size ? 0 : std::min(length, m_size - offset);
    if (inside > 0)
        append_extent(out, { m_fd.get(), offset, inside, m_alignment });
    if (inside < length)
        append_extent(out, { -1, 0, length - inside });
    return true;
}

} // namespace vireo
