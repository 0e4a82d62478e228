#include "block/sync_image.h"

#include <algorithm>
#include <cstring>

#include "block/file_io.h"

namespace vireo {

int RawSyncImage::read(uint64_t offset, std::span<uint8_t> buffer)
{
    if (offset >= m_size) {
        std::memset(buffer.data(), 0, buffer.size());
        return 0;
    }
    uint64_t inside = std::min<uint64_t>(buffer.size(), m_size - offset);
    std::memset(buffer.data() + inside, 0, buffer.size() - inside);
    return pread_full(m_fd.get(), buffer.first(inside), offset);
}

} // namespace vireo
