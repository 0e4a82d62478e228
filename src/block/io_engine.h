#pragma once
// I/O engines: positioned vectored reads/writes, fsync and fallocate on an fd, completed
// asynchronously. Callbacks run on the thread that calls process_completions() (the event
// loop), which it does when completion_fd() becomes readable. Short transfers are continued
// and -EAGAIN/-EINTR retried inside the engine, so a callback sees the whole result.
#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/result.h"

namespace vireo {

enum class IoOp { Read, Write, Fdatasync, Fsync, Fallocate };

struct IoRequest {
    IoOp op = IoOp::Read;
    int fd = -1;
    uint64_t offset = 0;
    std::vector<iovec> iov; // Read/Write: the buffers stay valid until the callback runs
    uint64_t length = 0;    // Fallocate
    int mode = 0;           // Fallocate: FALLOC_FL_* flags
};

// result: bytes transferred (Read/Write; a read past end-of-file is zero-filled and counts
// as transferred) or 0 (Fsync/Fallocate), or -errno.
using IoCallback = std::function<void(int64_t result)>;

enum class IoEngineKind { IoUring, ThreadPool };

class IoEngine {
public:
    virtual ~IoEngine() = default;
    [[nodiscard]] virtual IoEngineKind kind() const = 0;
    // Thread-safe. The callback runs later, inside process_completions().
    virtual void submit(IoRequest request, IoCallback callback) = 0;
    // Thread-safe, nesting. Between begin_batch() and the matching end_batch() an engine may
    // queue requests without telling the kernel, and submits them all at the outermost
    // end_batch() (io_uring: one io_uring_enter per batch instead of one per request).
    virtual void begin_batch() { }
    virtual void end_batch() { }
    // Thread-safe. Completes callback(result) from process_completions() without doing I/O
    // (used for requests rejected up front, so no callback ever runs inside submit()).
    virtual void post(IoCallback callback, int64_t result) = 0;
    [[nodiscard]] virtual int completion_fd() const = 0;
    // Event-loop thread only: runs the callbacks of finished requests.
    virtual void process_completions() = 0;
};

// io_uring when requested and available, else the thread pool.
[[nodiscard]] Result<std::unique_ptr<IoEngine>> create_io_engine(IoEngineKind preferred);
[[nodiscard]] Result<std::unique_ptr<IoEngine>> create_io_uring_engine(unsigned queue_depth = 128);
[[nodiscard]] Result<std::unique_ptr<IoEngine>> create_thread_pool_engine(unsigned threads = 2);

// Runs one request synchronously on the calling thread, with the same continuation rules
// (used by the thread pool and by synchronous format code).
int64_t perform_io(const IoRequest& request);

} // namespace vireo
