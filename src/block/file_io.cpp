#include "block/file_io.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace vireo {

FileOpenFlags file_flags_for(CacheMode cache, Access access)
{
    FileOpenFlags flags;
    flags.access = access;
    flags.direct = cache == CacheMode::None || cache == CacheMode::DirectSync;
    flags.dsync = cache == CacheMode::Writethrough || cache == CacheMode::DirectSync;
    return flags;
}

Result<UniqueFd> open_image_file(const std::string& path, FileOpenFlags& flags)
{
    int base = O_CLOEXEC | (flags.access == Access::ReadOnly ? O_RDONLY : O_RDWR);
    if (flags.dsync && flags.access == Access::ReadWrite)
        base |= O_DSYNC;
    if (flags.direct) {
        int fd = ::open(path.c_str(), base | O_DIRECT);
        if (fd >= 0)
            return UniqueFd(fd);
        if (errno != EINVAL)
            return errno_error("{}", path);
        flags.direct = false; // the file system has no O_DIRECT (tmpfs): use the page cache
    }
    int fd = ::open(path.c_str(), base);
    if (fd < 0)
        return errno_error("{}", path);
    return UniqueFd(fd);
}

Result<void> lock_image_file(int fd, const std::string& path, Access access)
{
    struct flock lock {};
    lock.l_type = access == Access::ReadWrite ? F_WRLCK : F_RDLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0; // the whole file
    if (::fcntl(fd, F_OFD_SETLK, &lock) == 0)
        return {};
    if (errno == EAGAIN || errno == EACCES)
        return make_error("{}: image is locked by another process (is another VM using it?)", path);
    if (errno == EINVAL || errno == ENOLCK || errno == EOPNOTSUPP)
        return {}; // the file system cannot lock; go on like QEMU does without locking
    return errno_error("{}: cannot lock image", path);
}

Result<uint64_t> file_size(int fd)
{
    struct stat st {};
    if (::fstat(fd, &st) < 0)
        return errno_error("fstat");
    if (S_ISBLK(st.st_mode)) {
        uint64_t size = 0;
        if (::ioctl(fd, BLKGETSIZE64, &size) < 0)
            return errno_error("BLKGETSIZE64");
        return size;
    }
    return static_cast<uint64_t>(st.st_size);
}

int pread_full(int fd, std::span<uint8_t> buffer, uint64_t offset)
{
    size_t done = 0;
    while (done < buffer.size()) {
        ssize_t n = ::pread(fd, buffer.data() + done, buffer.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (!short_direct_read_at_eof(errno, done))
                return -errno;
            n = 0;
        }
        if (n == 0) {
            std::fill(buffer.begin() + static_cast<std::ptrdiff_t>(done), buffer.end(), 0);
            return 0;
        }
        done += static_cast<size_t>(n);
    }
    return 0;
}

int pwrite_full(int fd, std::span<const uint8_t> buffer, uint64_t offset)
{
    size_t done = 0;
    while (done < buffer.size()) {
        ssize_t n = ::pwrite(fd, buffer.data() + done, buffer.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        done += static_cast<size_t>(n);
    }
    return 0;
}

Result<UniqueFd> create_temp_file()
{
    const char* dir = std::getenv("TMPDIR");
    std::string directory = dir && *dir ? dir : "/var/tmp";
    int fd = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return UniqueFd(fd);
    // No O_TMPFILE support: create and unlink at once.
    std::string pattern = directory + "/vireo-snapshot-XXXXXX";
    fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0)
        return errno_error("cannot create a temporary file in {}", directory);
    ::unlink(pattern.c_str());
    return UniqueFd(fd);
}

} // namespace vireo
