// The io_uring I/O engine. Completions are signalled on an eventfd registered with
// io_uring_register_eventfd, so the event loop watches a single fd; process_completions()
// reaps the completion queue on the loop thread. Submission may come from any thread
// (guarded by a mutex); reaping happens only on the loop thread, as liburing allows.
// Inside a batch (begin_batch/end_batch) SQEs are only queued: the kernel sees the whole
// batch in one io_uring_enter at the outermost end_batch().
#include <liburing.h>

#include <cerrno>
#include <deque>
#include <mutex>
#include <optional>

#include "block/completion_queue.h"
#include "block/file_io.h"
#include "block/io_engine.h"
#include "block/iov_util.h"

namespace vireo {

namespace {

struct UringOp {
    IoRequest request;
    IoCallback callback;
    std::vector<iovec> remaining; // Read/Write: what is still to transfer
    uint64_t total = 0;
    uint64_t done = 0;
};

class UringEngine final : public IoEngine {
public:
    UringEngine(io_uring ring, CompletionQueue completions, unsigned depth)
        : m_ring(ring)
        , m_completions(std::move(completions))
        , m_depth(depth)
    {
    }
    ~UringEngine() override
    {
        // Wait for what the kernel still owns: its buffers must outlive the I/O.
        while (m_in_flight > 0) {
            io_uring_cqe* cqe = nullptr;
            if (io_uring_wait_cqe(&m_ring, &cqe) < 0)
                break;
            delete static_cast<UringOp*>(io_uring_cqe_get_data(cqe));
            io_uring_cqe_seen(&m_ring, cqe);
            --m_in_flight;
        }
        io_uring_queue_exit(&m_ring);
    }

    IoEngineKind kind() const override { return IoEngineKind::IoUring; }

    void submit(IoRequest request, IoCallback callback) override
    {
        auto* op = new UringOp { std::move(request), std::move(callback), {}, 0, 0 };
        if (op->request.op == IoOp::Read || op->request.op == IoOp::Write) {
            op->remaining = std::move(op->request.iov); // the request's own copy is not needed again
            op->total = iov_length(op->remaining);
        }
        std::lock_guard lock(m_submit_mutex);
        queue_locked(op);
        if (m_batch_depth == 0)
            io_uring_submit(&m_ring);
    }

    void begin_batch() override
    {
        std::lock_guard lock(m_submit_mutex);
        ++m_batch_depth;
    }
    void end_batch() override
    {
        std::lock_guard lock(m_submit_mutex);
        if (m_batch_depth > 0 && --m_batch_depth == 0)
            io_uring_submit(&m_ring); // no system call when nothing was queued
    }

    void post(IoCallback callback, int64_t result) override { m_completions.post(std::move(callback), result); }
    int completion_fd() const override { return m_completions.fd(); }

    void process_completions() override
    {
        // Consume the doorbell before looking at the ring: a CQE posted after the look then
        // rings it again. (The other order could swallow the signal of a CQE posted while
        // io_uring_submit below ran the kernel's task work, and leave it unreaped.) This also
        // runs the callbacks post()ed so far.
        m_completions.drain();
        std::vector<std::pair<UringOp*, int64_t>> finished;
        {
            std::lock_guard lock(m_submit_mutex);
            io_uring_cqe* cqe = nullptr;
            while (io_uring_peek_cqe(&m_ring, &cqe) == 0) {
                auto* op = static_cast<UringOp*>(io_uring_cqe_get_data(cqe));
                int res = cqe->res;
                io_uring_cqe_seen(&m_ring, cqe);
                --m_in_flight;
                if (auto result = advance(op, res))
                    finished.emplace_back(op, *result);
                else
                    queue_locked(op); // continue a short transfer, or retry
            }
            while (!m_backlog.empty() && m_in_flight < m_depth) {
                auto* op = m_backlog.front();
                m_backlog.pop_front();
                queue_locked(op);
            }
            if (m_batch_depth == 0)
                io_uring_submit(&m_ring);
        }
        for (auto [op, result] : finished) {
            op->callback(result);
            delete op;
        }
    }

private:
    // Applies a completion; returns the final result, or nothing when the op must be requeued.
    static std::optional<int64_t> advance(UringOp* op, int res)
    {
        if (res == -EAGAIN || res == -EINTR)
            return std::nullopt;
        if (res < 0 && op->request.op == IoOp::Read && short_direct_read_at_eof(-res, op->done))
            res = 0;
        if (res < 0)
            return res;
        if (op->request.op != IoOp::Read && op->request.op != IoOp::Write)
            return 0;
        if (res == 0) {
            if (op->request.op == IoOp::Write)
                return -EIO;
            iov_zero(op->remaining); // end of file reads as zeros
            return static_cast<int64_t>(op->total);
        }
        op->done += static_cast<uint64_t>(res);
        iov_advance(op->remaining, static_cast<uint64_t>(res));
        if (op->done >= op->total)
            return static_cast<int64_t>(op->total);
        return std::nullopt;
    }

    void queue_locked(UringOp* op)
    {
        io_uring_sqe* sqe = m_in_flight < m_depth ? io_uring_get_sqe(&m_ring) : nullptr;
        if (!sqe) {
            m_backlog.push_back(op);
            return;
        }
        auto const& request = op->request;
        uint64_t offset = request.offset + op->done;
        auto count = static_cast<unsigned>(std::min<size_t>(op->remaining.size(), IOV_MAX));
        switch (request.op) {
        case IoOp::Read:
            io_uring_prep_readv(sqe, request.fd, op->remaining.data(), count, offset);
            break;
        case IoOp::Write:
            io_uring_prep_writev(sqe, request.fd, op->remaining.data(), count, offset);
            break;
        case IoOp::Fdatasync:
            io_uring_prep_fsync(sqe, request.fd, IORING_FSYNC_DATASYNC);
            break;
        case IoOp::Fsync:
            io_uring_prep_fsync(sqe, request.fd, 0);
            break;
        case IoOp::Fallocate:
            io_uring_prep_fallocate(sqe, request.fd, request.mode, request.offset, request.length);
            break;
        }
        io_uring_sqe_set_data(sqe, op);
        ++m_in_flight;
    }

    io_uring m_ring;
    CompletionQueue m_completions;
    unsigned m_depth;
    std::mutex m_submit_mutex;
    unsigned m_in_flight = 0;
    unsigned m_batch_depth = 0; // open begin_batch() calls
    std::deque<UringOp*> m_backlog;
};

} // namespace

Result<std::unique_ptr<IoEngine>> create_io_uring_engine(unsigned queue_depth)
{
    auto completions = TRY(CompletionQueue::create());
    io_uring ring {};
    int err = io_uring_queue_init(queue_depth, &ring, 0);
    if (err < 0) {
        errno = -err;
        return errno_error("io_uring_queue_init");
    }
    err = io_uring_register_eventfd(&ring, completions.fd());
    if (err < 0) {
        io_uring_queue_exit(&ring);
        errno = -err;
        return errno_error("io_uring_register_eventfd");
    }
    return std::make_unique<UringEngine>(ring, std::move(completions), queue_depth);
}

} // namespace vireo
