#include "block/qcow2/qcow2_image.h"

#include <cerrno>

#include "block/iov_util.h"

namespace vireo::qcow2 {

Result<std::unique_ptr<Qcow2Image>> Qcow2Image::create(std::unique_ptr<Qcow2Core> core, bool discard)
{
    auto completions = TRY(CompletionQueue::create());
    return std::unique_ptr<Qcow2Image>(new Qcow2Image(std::move(core), std::move(completions), discard));
}

Qcow2Image::Qcow2Image(std::unique_ptr<Qcow2Core> core, CompletionQueue completions, bool discard)
    : m_core(std::move(core))
    , m_completions(std::move(completions))
    , m_size(m_core->size())
    , m_read_only(m_core->read_only())
    , m_discard(discard)
{
    m_thread = std::thread([this] { worker(); });
}

Qcow2Image::~Qcow2Image()
{
    m_queue.stop();
    m_thread.join();
    if (!m_read_only)
        m_core->flush(); // a clean close leaves the image durable, like QEMU's close
}

void Qcow2Image::submit(DiskRequest request, DiskCompletion done)
{
    m_queue.push({ std::move(request), std::move(done) });
}

void Qcow2Image::worker()
{
    while (auto item = m_queue.pop()) {
        int result = execute(item->first);
        m_completions.post([done = std::move(item->second)](int64_t r) { done(static_cast<int>(r)); }, result);
    }
}

int Qcow2Image::execute(const DiskRequest& request)
{
    bool writes = request.op != DiskOp::Read && request.op != DiskOp::Flush;
    if (writes && m_read_only)
        return -EROFS;
    uint64_t length = request.op == DiskOp::Read || request.op == DiskOp::Write ? iov_length(request.iov) : request.length;
    if (request.op != DiskOp::Flush && (request.offset > m_size || length > m_size - request.offset))
        return -EINVAL;
    if (length == 0 && request.op != DiskOp::Flush)
        return 0;
    switch (request.op) {
    case DiskOp::Read:
        return m_core->readv(request.offset, request.iov);
    case DiskOp::Write:
        return m_core->writev(request.offset, request.iov);
    case DiskOp::Flush:
        return m_core->flush();
    case DiskOp::Discard:
        return m_discard ? m_core->discard(request.offset, length) : 0;
    case DiskOp::WriteZeroes:
        return m_core->write_zeroes(request.offset, length);
    }
    return -EINVAL;
}

} // namespace vireo::qcow2
