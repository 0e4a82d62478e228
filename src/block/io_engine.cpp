#include "block/io_engine.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "block/file_io.h"
#include "block/iov_util.h"
#include "base/log.h"

namespace vireo {

int64_t perform_io(const IoRequest& request)
{
    switch (request.op) {
    case IoOp::Fdatasync:
        return ::fdatasync(request.fd) < 0 ? -errno : 0;
    case IoOp::Fsync:
        return ::fsync(request.fd) < 0 ? -errno : 0;
    case IoOp::Fallocate:
        for (;;) {
            if (::fallocate(request.fd, request.mode, static_cast<off_t>(request.offset),
                    static_cast<off_t>(request.length)) == 0)
                return 0;
            if (errno != EINTR && errno != EAGAIN)
                return -errno;
        }
    case IoOp::Read:
    case IoOp::Write:
        break;
    }

    std::vector<iovec> iov = request.iov;
    uint64_t total = iov_length(iov);
    uint64_t done = 0;
    while (done < total) {
        // preadv/pwritev take at most IOV_MAX vectors per call; longer arrays go in pieces.
        int count = static_cast<int>(std::min<size_t>(iov.size(), IOV_MAX));
        auto offset = static_cast<off_t>(request.offset + done);
        ssize_t n = request.op == IoOp::Read ? ::preadv(request.fd, iov.data(), count, offset)
                                             : ::pwritev(request.fd, iov.data(), count, offset);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (request.op == IoOp::Write || !short_direct_read_at_eof(errno, done))
                return -errno;
            n = 0;
        }
        if (n == 0) {
            if (request.op == IoOp::Write)
                return -EIO;
            // End of file: the rest reads as zeros (sparse tail).
            iov_zero(iov);
            return static_cast<int64_t>(total);
        }
        done += static_cast<uint64_t>(n);
        iov_advance(iov, static_cast<uint64_t>(n));
    }
    return static_cast<int64_t>(total);
}

Result<std::unique_ptr<IoEngine>> create_io_engine(IoEngineKind preferred)
{
    if (preferred == IoEngineKind::IoUring) {
        auto engine = create_io_uring_engine();
        if (engine)
            return engine;
        log_warn("io_uring unavailable ({}), using the thread pool", engine.error().describe());
    }
    return create_thread_pool_engine();
}

} // namespace vireo
