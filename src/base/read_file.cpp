#include "base/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace vireo {

Result<std::vector<uint8_t>> read_whole_file(const std::string& path, uint64_t max_size)
{
    int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (raw < 0)
        return errno_error("cannot open {}", path);
    UniqueFd fd(raw);
    struct stat status {};
    if (::fstat(fd.get(), &status) < 0)
        return errno_error("cannot stat {}", path);
    if (!S_ISREG(status.st_mode))
        return make_error("{} is not a regular file", path);
    if (static_cast<uint64_t>(status.st_size) > max_size)
        return make_error("{} is larger than {} bytes", path, max_size);
    std::vector<uint8_t> data(static_cast<size_t>(status.st_size));
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno_error("cannot read {}", path);
        if (n == 0)
            break;
        done += static_cast<size_t>(n);
    }
    data.resize(done);
    return data;
}

} // namespace vireo
