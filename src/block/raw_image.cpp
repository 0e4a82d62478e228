#include "block/raw_image.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "block/aligned_io.h"
#include "block/iov_util.h"

namespace vireo {

namespace {

int to_disk_result(int64_t result) { return result < 0 ? static_cast<int>(result) : 0; }

} // namespace

Result<std::unique_ptr<RawImage>> RawImage::open(const std::string& path, const RawOptions& options)
{
    auto flags = file_flags_for(options.cache, options.access);
    auto fd = TRY(open_image_file(path, flags));
    TRY(lock_image_file(fd.get(), path, options.access));
    auto size = TRY(file_size(fd.get()));
    auto engine = TRY(create_io_engine(options.engine));
    uint64_t alignment = direct_io_alignment(fd.get());
    auto image = std::unique_ptr<RawImage>(new RawImage(std::move(fd), size, alignment, options, std::move(engine)));
    if (options.access == Access::ReadWrite) {
        // Made here, not on first use: submit() may run on several threads.
        image->m_zeros = std::make_shared<AlignedBuffer>(k_zero_buffer_size);
        std::memset(image->m_zeros->data(), 0, k_zero_buffer_size);
    }
    return image;
}

RawImage::~RawImage()
{
    m_engine.reset(); // waits for the I/O in flight
    if (!read_only() && m_options.cache != CacheMode::Unsafe)
        ::fdatasync(m_fd.get());
}

void RawImage::fail(DiskCompletion done, int error)
{
    m_engine->post([done = std::move(done)](int64_t r) { done(static_cast<int>(r)); }, error);
}

void RawImage::submit(DiskRequest request, DiskCompletion done)
{
    bool writes = request.op == DiskOp::Write || request.op == DiskOp::Discard || request.op == DiskOp::WriteZeroes;
    if (writes && read_only())
        return fail(std::move(done), -EROFS);

    uint64_t length = request.op == DiskOp::Read || request.op == DiskOp::Write ? iov_length(request.iov) : request.length;
    if (request.op != DiskOp::Flush && (request.offset > m_size || length > m_size - request.offset))
        return fail(std::move(done), -EINVAL);

    switch (request.op) {
    case DiskOp::Read:
    case DiskOp::Write:
        return submit_rw(request, std::move(done));
    case DiskOp::Flush:
        if (read_only() || m_options.cache == CacheMode::Unsafe)
            return fail(std::move(done), 0);
        m_engine->submit(IoRequest { IoOp::Fdatasync, m_fd.get() },
            [done = std::move(done)](int64_t r) { done(to_disk_result(r)); });
        return;
    case DiskOp::Discard: {
        // Discard is advisory: without discard=unmap, or where the file system cannot punch
        // holes, it succeeds doing nothing.
        if (!m_options.discard || length == 0)
            return fail(std::move(done), 0);
        IoRequest punch { IoOp::Fallocate, m_fd.get(), request.offset, {}, length, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE };
        m_engine->submit(std::move(punch), [done = std::move(done)](int64_t r) {
            done(r == -EOPNOTSUPP || r == -ENOTSUP ? 0 : to_disk_result(r));
        });
        return;
    }
    case DiskOp::WriteZeroes:
        if (length == 0)
            return fail(std::move(done), 0);
        return submit_write_zeroes(request, std::move(done));
    }
    fail(std::move(done), -EINVAL);
}

void RawImage::submit_rw(DiskRequest& request, DiskCompletion done)
{
    bool is_write = request.op == DiskOp::Write;
    uint64_t length = iov_length(request.iov);
    if (length == 0)
        return fail(std::move(done), 0);

    // A probed raw image must not turn itself into a qcow2 image by a guest write to block 0
    // (a later probe would then trust guest-controlled metadata).
    if (is_write && m_options.probed && request.offset == 0) {
        uint8_t magic[4] {};
        iov_to_buffer(request.iov, 0, magic);
        if (length >= 4 && std::memcmp(magic, "QFI\xfb", 4) == 0)
            return fail(std::move(done), -EPERM);
    }

    // O_DIRECT (cache=none): unaligned requests bounce. A partial-block write is a
    // read-modify-write; guests write whole 512-byte sectors in practice.
    IoOp op = is_write ? IoOp::Write : IoOp::Read;
    submit_aligned(*m_engine, m_alignment, IoRequest { op, m_fd.get(), request.offset, std::move(request.iov) },
        [done = std::move(done)](int64_t r) { done(to_disk_result(r)); });
}

void RawImage::submit_write_zeroes(const DiskRequest& request, DiskCompletion done)
{
    int mode = request.may_unmap && m_options.discard ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
                                                      : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
    IoRequest zero { IoOp::Fallocate, m_fd.get(), request.offset, {}, request.length, mode };
    uint64_t offset = request.offset;
    uint64_t length = request.length;
    m_engine->submit(std::move(zero), [this, offset, length, done = std::move(done)](int64_t r) mutable {
        if (r == -EOPNOTSUPP || r == -ENOTSUP || r == -EINVAL || r == -ENODEV)
            return write_zeros(offset, length, std::move(done));
        done(to_disk_result(r));
    });
}

void RawImage::write_zeros(uint64_t offset, uint64_t length, DiskCompletion done)
{
    // One writev whose vectors all point at one aligned zero buffer; pieces of at most 64 MiB.
    constexpr uint64_t k_chunk = k_zero_buffer_size;
    uint64_t piece = std::min<uint64_t>(length, 64 * k_chunk);
    std::vector<iovec> iov;
    for (uint64_t done_bytes = 0; done_bytes < piece; done_bytes += k_chunk)
        iov.push_back({ m_zeros->data(), std::min(k_chunk, piece - done_bytes) });
    bool unaligned = offset % m_alignment != 0 || piece % m_alignment != 0;
    if (unaligned) {
        // Let the bounce path handle alignment.
        DiskRequest request { DiskOp::Write, offset, std::move(iov) };
        auto keep = m_zeros;
        return submit_rw(request, [this, keep, offset, piece, length, done = std::move(done)](int r) mutable {
            if (r < 0 || piece == length)
                return done(r);
            write_zeros(offset + piece, length - piece, std::move(done));
        });
    }
    m_engine->submit(IoRequest { IoOp::Write, m_fd.get(), offset, std::move(iov) },
        [this, keep = m_zeros, offset, piece, length, done = std::move(done)](int64_t r) mutable {
            if (r < 0 || piece == length)
                return done(to_disk_result(r));
            write_zeros(offset + piece, length - piece, std::move(done));
        });
}

} // namespace vireo
