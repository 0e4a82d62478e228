#include "block/aligned_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "block/file_io.h"
#include "block/iov_util.h"

namespace vireo {

namespace {

constexpr uint64_t k_fallback_alignment = 4096;

uint64_t round_down(uint64_t value, uint64_t alignment) { return value / alignment * alignment; }
uint64_t round_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

// The aligned span [start, end) around [offset, offset + length).
struct Span {
    uint64_t start;
    uint64_t end;
};
Span aligned_span(uint64_t alignment, uint64_t offset, uint64_t length)
{
    return { round_down(offset, alignment), round_up(offset + length, alignment) };
}

std::shared_ptr<AlignedBuffer> bounce_buffer(uint64_t alignment, Span span)
{
    return std::make_shared<AlignedBuffer>(span.end - span.start, std::max<uint64_t>(alignment, AlignedBuffer::k_alignment));
}

} // namespace

uint64_t direct_io_alignment(int fd)
{
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || (flags & O_DIRECT) == 0)
        return 1;
    struct statx st {};
    if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &st) == 0 && (st.stx_mask & STATX_DIOALIGN)
        && st.stx_dio_offset_align > 0) {
        uint64_t alignment = std::max(st.stx_dio_offset_align, st.stx_dio_mem_align);
        if ((alignment & (alignment - 1)) == 0)
            return alignment;
    }
    return k_fallback_alignment; // older kernels: the largest logical block in common use
}

bool io_aligned(uint64_t alignment, uint64_t offset, std::span<const iovec> iov)
{
    if (offset % alignment != 0)
        return false;
    for (auto const& v : iov) {
        if (reinterpret_cast<uintptr_t>(v.iov_base) % alignment != 0 || v.iov_len % alignment != 0)
            return false;
    }
    return true;
}

int pread_aligned(int fd, uint64_t alignment, std::span<uint8_t> buffer, uint64_t offset)
{
    iovec iov { buffer.data(), buffer.size() };
    if (alignment <= 1 || io_aligned(alignment, offset, { &iov, 1 }))
        return pread_full(fd, buffer, offset);
    return readv_aligned(fd, alignment, { iov }, offset); // bounces
}

int pwrite_aligned(int fd, uint64_t alignment, std::span<const uint8_t> data, uint64_t offset)
{
    iovec iov { const_cast<uint8_t*>(data.data()), data.size() };
    if (alignment <= 1 || io_aligned(alignment, offset, { &iov, 1 }))
        return pwrite_full(fd, data, offset);
    Span span = aligned_span(alignment, offset, data.size());
    auto bounce = bounce_buffer(alignment, span);
    std::span<uint8_t> whole = bounce->span();
    // The partial first and last blocks keep their other bytes (past the end of file: zeros).
    if (span.start < offset) {
        if (int err = pread_full(fd, whole.first(alignment), span.start); err < 0)
            return err;
    }
    if (span.end > offset + data.size() && (span.end - span.start > alignment || span.start == offset)) {
        if (int err = pread_full(fd, whole.last(alignment), span.end - alignment); err < 0)
            return err;
    }
    std::memcpy(whole.data() + (offset - span.start), data.data(), data.size());
    return pwrite_full(fd, whole, span.start);
}

int readv_aligned(int fd, uint64_t alignment, const std::vector<iovec>& iov, uint64_t offset)
{
    if (alignment <= 1 || io_aligned(alignment, offset, iov)) {
        int64_t n = perform_io(IoRequest { IoOp::Read, fd, offset, iov });
        return n < 0 ? static_cast<int>(n) : 0;
    }
    uint64_t length = iov_length(iov);
    Span span = aligned_span(alignment, offset, length);
    auto bounce = bounce_buffer(alignment, span);
    int64_t n = perform_io(IoRequest { IoOp::Read, fd, span.start, { { bounce->data(), bounce->size() } } });
    if (n < 0)
        return static_cast<int>(n);
    buffer_to_iov(bounce->span().subspan(offset - span.start, length), iov, 0);
    return 0;
}

void submit_aligned(IoEngine& engine, uint64_t alignment, IoRequest request, IoCallback done)
{
    if (alignment <= 1 || io_aligned(alignment, request.offset, request.iov))
        return engine.submit(std::move(request), std::move(done));

    uint64_t length = iov_length(request.iov);
    Span span = aligned_span(alignment, request.offset, length);
    auto bounce = bounce_buffer(alignment, span);
    uint64_t skip = request.offset - span.start;
    std::vector<iovec> bounce_iov { { bounce->data(), bounce->size() } };
    int fd = request.fd;

    if (request.op == IoOp::Read) {
        engine.submit(IoRequest { IoOp::Read, fd, span.start, bounce_iov },
            [bounce, iov = std::move(request.iov), skip, length, done = std::move(done)](int64_t r) {
                if (r >= 0) {
                    buffer_to_iov(bounce->span().subspan(skip, length), iov, 0);
                    r = static_cast<int64_t>(length);
                }
                done(r);
            });
        return;
    }

    auto write_out = [&engine, bounce, bounce_iov, fd, start = span.start, skip, length](
                         const std::vector<iovec>& iov, IoCallback finish) {
        iov_to_buffer(iov, 0, bounce->span().subspan(skip, length));
        engine.submit(IoRequest { IoOp::Write, fd, start, bounce_iov }, [bounce, length, finish = std::move(finish)](int64_t r) {
            finish(r < 0 ? r : static_cast<int64_t>(length));
        });
    };
    if (span.start == request.offset && span.end == request.offset + length)
        return write_out(request.iov, std::move(done));
    // Partial edge blocks: read the whole span first, then write it back with the new bytes.
    engine.submit(IoRequest { IoOp::Read, fd, span.start, bounce_iov },
        [write_out, iov = std::move(request.iov), done = std::move(done)](int64_t r) mutable {
            if (r < 0)
                return done(r);
            write_out(iov, std::move(done));
        });
}

} // namespace vireo
