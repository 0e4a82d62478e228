#pragma once
// -pidfile FILE: the process's id in a file that stays locked (an advisory write lock, as
// QEMU's) while vireo runs, so a second vireo given the same file refuses to start; removed at
// exit.
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace vireo {

class PidFile {
public:
    // Creates or truncates the file and writes this process's id; fails if another process
    // holds its lock.
    [[nodiscard]] static Result<PidFile> create(const std::string& path);

    PidFile(PidFile&&) noexcept = default;
    PidFile& operator=(PidFile&&) = delete;
    PidFile(const PidFile&) = delete;
    ~PidFile();

private:
    PidFile(std::string path, UniqueFd fd) : m_path(std::move(path)), m_fd(std::move(fd)) {}

    std::string m_path;
    UniqueFd m_fd;
};

} // namespace vireo
