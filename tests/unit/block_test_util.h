#pragma once
// Helpers for the block-layer tests: temp directories, running a disk image's completions
// until a request finishes, running qemu-img.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "block/disk_image.h"

namespace vireo::test {

class TempDir {
public:
    TempDir()
    {
        char tmpl[] = "/tmp/vireo-block-XXXXXX";
        m_path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(m_path); }
    [[nodiscard]] std::string file(const std::string& name) const { return m_path + "/" + name; }
    [[nodiscard]] const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

// Polls fd and calls process until *finished or a timeout (10 s unless given).
template<typename Process>
inline bool wait_for(int fd, Process process, const bool* finished, int timeout_ms = 10'000)
{
    for (int i = 0; i < timeout_ms / 10 && !*finished; ++i) {
        pollfd pfd { fd, POLLIN, 0 };
        ::poll(&pfd, 1, 10);
        process();
    }
    return *finished;
}

// Submits one request to a disk image and waits for its completion; returns the result.
inline int run_request(DiskImage& image, DiskRequest request)
{
    bool finished = false;
    int result = -9999;
    image.submit(std::move(request), [&](int r) {
        result = r;
        finished = true;
    });
    wait_for(image.completion_fd(), [&] { image.process_completions(); }, &finished);
    return result;
}

inline int disk_write(DiskImage& image, uint64_t offset, const std::vector<uint8_t>& data)
{
    DiskRequest request;
    request.op = DiskOp::Write;
    request.offset = offset;
    request.iov.push_back({ const_cast<uint8_t*>(data.data()), data.size() });
    return run_request(image, std::move(request));
}

inline int disk_read(DiskImage& image, uint64_t offset, std::vector<uint8_t>& data)
{
    DiskRequest request;
    request.op = DiskOp::Read;
    request.offset = offset;
    request.iov.push_back({ data.data(), data.size() });
    return run_request(image, std::move(request));
}

inline int disk_simple(DiskImage& image, DiskOp op, uint64_t offset = 0, uint64_t length = 0, bool may_unmap = false)
{
    DiskRequest request;
    request.op = op;
    request.offset = offset;
    request.length = length;
    request.may_unmap = may_unmap;
    return run_request(image, std::move(request));
}

inline std::vector<uint8_t> pattern(size_t size, uint8_t seed)
{
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size; ++i)
        data[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 9));
    return data;
}

inline bool have_qemu_img() { return ::access("/usr/bin/qemu-img", X_OK) == 0; }

// Runs a shell command; returns its exit status and captures stdout+stderr.
inline int run_command(const std::string& command, std::string* output = nullptr)
{
    std::string full = command + " 2>&1";
    FILE* pipe = ::popen(full.c_str(), "r");
    if (!pipe)
        return -1;
    std::string text;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
        text.append(buffer, n);
    int status = ::pclose(pipe);
    if (output)
        *output = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline void write_file(const std::string& path, const std::vector<uint8_t>& data)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

inline std::vector<uint8_t> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return { std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>() };
}

} // namespace vireo::test
