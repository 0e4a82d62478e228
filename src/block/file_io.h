#pragma once
// Plain file helpers for the block layer: opening an image file with the flags a cache mode
// asks for, OFD locking, whole-range synchronous pread/pwrite, aligned buffers, temp files.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "config/vm_config.h"

namespace vireo {

enum class Access { ReadOnly, ReadWrite };

struct FileOpenFlags {
    Access access = Access::ReadWrite;
    bool direct = false; // O_DIRECT (cache=none, directsync)
    bool dsync = false;  // O_DSYNC (cache=writethrough, directsync)
};

[[nodiscard]] FileOpenFlags file_flags_for(CacheMode cache, Access access);

// Opens path; errors read "PATH: No such file or directory". When O_DIRECT is refused by the
// file system (tmpfs), reopens without it and clears flags.direct.
[[nodiscard]] Result<UniqueFd> open_image_file(const std::string& path, FileOpenFlags& flags);

// Takes an OFD lock over the whole file: a write lock for read-write use, a read lock for
// read-only use, so two VMs cannot write one image. Released when the fd closes.
[[nodiscard]] Result<void> lock_image_file(int fd, const std::string& path, Access access);

// Size of a regular file or block device.
[[nodiscard]] Result<uint64_t> file_size(int fd);

// An O_DIRECT read comes back short only at the end of file; going on from there, at an offset
// (or buffer) no longer aligned to the file's direct-I/O alignment (512 or 4096), is refused
// with EINVAL. So EINVAL after some bytes were read is the end of file too, whatever the alignment.
[[nodiscard]] inline bool short_direct_read_at_eof(int error, uint64_t done) { return error == EINVAL && done > 0; }

// Reads all of buffer at offset; bytes past end-of-file read as zeros. 0 or -errno.
int pread_full(int fd, std::span<uint8_t> buffer, uint64_t offset);
// Writes all of buffer at offset. 0 or -errno.
int pwrite_full(int fd, std::span<const uint8_t> buffer, uint64_t offset);

// An anonymous file that disappears when closed (O_TMPFILE in $TMPDIR or /var/tmp).
[[nodiscard]] Result<UniqueFd> create_temp_file();

// A heap buffer aligned for O_DIRECT (to 4096, or more when asked).
class AlignedBuffer {
public:
    static constexpr size_t k_alignment = 4096;
    AlignedBuffer() = default;
    explicit AlignedBuffer(size_t size, size_t alignment = k_alignment)
        : m_data(static_cast<uint8_t*>(std::aligned_alloc(alignment, round_up(size, alignment))))
        , m_size(size)
    {
        if (!m_data)
            throw std::bad_alloc();
    }
    [[nodiscard]] uint8_t* data() const { return m_data.get(); }
    [[nodiscard]] size_t size() const { return m_size; }
    [[nodiscard]] std::span<uint8_t> span() const { return { m_data.get(), m_size }; }

private:
    static size_t round_up(size_t size, size_t alignment)
    {
        return std::max<size_t>(1, (size + alignment - 1) / alignment) * alignment;
    }
    struct Free {
        void operator()(uint8_t* p) const { std::free(p); }
    };
    std::unique_ptr<uint8_t, Free> m_data;
    size_t m_size = 0;
};

} // namespace vireo
