#include "process/pid_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/core.h>

namespace vireo {

Result<PidFile> PidFile::create(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd.valid())
        return errno_error("-pidfile {}", path);
    // An open file description lock: held for as long as this descriptor is open, whichever
    // thread touches the file, and released by the kernel if vireo dies.
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd.get(), F_OFD_SETLK, &lock) < 0) {
        if (errno == EAGAIN || errno == EACCES)
            return make_error("-pidfile {}: another process holds it (is a VM with it running?)", path);
        return errno_error("-pidfile {}: lock", path);
    }
    auto text = fmt::format("{}\n", ::getpid());
    if (::ftruncate(fd.get(), 0) < 0 || ::pwrite(fd.get(), text.data(), text.size(), 0) != ssize_t(text.size()))
        return errno_error("-pidfile {}: write", path);
    // Absolute: -daemonize changes the working directory before the file is removed.
    std::error_code error;
    auto absolute = std::filesystem::absolute(path, error);
    return PidFile(error ? path : absolute.string(), std::move(fd));
}

PidFile::~PidFile()
{
    // Removed while still locked, so that a vireo starting meanwhile never sees this one's id in
    // a file it has just written. After -chroot or -runas the path may be out of reach: the
    // file then stays, as a stale one would after a crash.
    if (m_fd.valid())
        ::unlink(m_path.c_str());
}

} // namespace vireo
