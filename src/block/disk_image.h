#pragma once
// The disk image interface every format (raw, qcow2) implements and every disk device
// (virtio-blk) uses. Requests are asynchronous: submit() starts one, and its completion runs
// later on the event-loop thread, when the loop sees completion_fd() readable and calls
// process_completions(). Formats are kept apart from I/O engines (io_uring, thread pool).
#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "base/result.h"

namespace vireo {

enum class DiskOp { Read, Write, Flush, Discard, WriteZeroes };

struct DiskRequest {
    DiskOp op = DiskOp::Read;
    uint64_t offset = 0;          // bytes
    std::vector<iovec> iov;        // Read/Write buffers (host views of guest memory, already checked)
    uint64_t length = 0;           // Discard/WriteZeroes length in bytes
    bool may_unmap = false;        // WriteZeroes: the range may be deallocated
};

// Called once per request with 0 on success or -errno.
using DiskCompletion = std::function<void(int result)>;

// Threads: submit() may be called from any thread (vCPU or event loop) and never blocks on
// disk I/O; its completion never runs inside submit(), always later inside
// process_completions(), which only the event-loop thread calls. Destroying an image waits
// for the I/O in flight and flushes a writable image (callbacks not yet processed are dropped).
// Errors: -EINVAL for a range past size(), -EROFS for writes to a read-only image, -EIO for
// corrupt image metadata, other -errno from the host file.
class DiskImage {
public:
    virtual ~DiskImage() = default;
    [[nodiscard]] virtual uint64_t size() const = 0; // virtual size in bytes
    [[nodiscard]] virtual bool read_only() const = 0;
    [[nodiscard]] virtual bool supports_discard() const { return false; }
    virtual void submit(DiskRequest request, DiskCompletion done) = 0;
    // Submission batching (a "plug"): requests submitted between begin_batch() and the matching
    // end_batch() may be held back and handed to the host together at end_batch(), one system
    // call for a whole queue kick. Calls nest; images that cannot batch ignore them. Use DiskBatch.
    virtual void begin_batch() { }
    virtual void end_batch() { }
    // An fd that becomes readable when completions are ready (the event loop watches it).
    [[nodiscard]] virtual int completion_fd() const = 0;
    virtual void process_completions() = 0;
};

// Holds a submission batch open on an image for its lifetime.
class DiskBatch {
public:
    explicit DiskBatch(DiskImage& image)
        : m_image(image)
    {
        m_image.begin_batch();
    }
    ~DiskBatch() { m_image.end_batch(); }
    DiskBatch(const DiskBatch&) = delete;
    DiskBatch& operator=(const DiskBatch&) = delete;

private:
    DiskImage& m_image;
};

} // namespace vireo
