#include "block/qcow2/qcow2_image.h"

#include <poll.h>

#include <cerrno>

#include "block/aligned_io.h"
#include "block/iov_util.h"
#include "sandbox/thread_spawner.h"

namespace vireo::qcow2 {

namespace {
int to_disk_result(int64_t result) { return result < 0 ? static_cast<int>(result) : 0; }
constexpr uint64_t k_copier_min_bytes = 128 << 10; // smaller ones: io_uring inline is cheaper
constexpr int k_copiers = 2;
constexpr size_t k_max_batch = 64; // queued writes the worker takes on at once
bool is_write(const std::pair<DiskRequest, DiskCompletion>& item) { return item.first.op == DiskOp::Write; }
} // namespace

Result<std::unique_ptr<Qcow2Image>> Qcow2Image::create(std::unique_ptr<Qcow2Core> core, bool discard, IoEngineKind engine)
{
    auto io = TRY(create_io_engine(engine));
    auto copy = TRY(create_io_engine(engine));
    return std::unique_ptr<Qcow2Image>(new Qcow2Image(std::move(core), std::move(io), std::move(copy), discard));
}

Qcow2Image::Qcow2Image(std::unique_ptr<Qcow2Core> core, std::unique_ptr<IoEngine> engine,
    std::unique_ptr<IoEngine> copy_engine, bool discard)
    : m_core(std::move(core))
    , m_engine(std::move(engine))
    , m_copy_engine(std::move(copy_engine))
    , m_size(m_core->size())
    , m_read_only(m_core->read_only())
    , m_discard(discard)
{
    m_core->set_io_lock(&m_mutex);
    m_core->set_copy_engine(m_copy_engine.get()); // the worker reaps it
    m_thread = sandbox::spawn_thread(sandbox::ThreadKind::IoWorker, "qcow2-worker", [this] { worker(); });
    if (m_engine->kind() == IoEngineKind::IoUring) {
        for (int i = 0; i < k_copiers; ++i)
            m_copiers.push_back(sandbox::spawn_thread(sandbox::ThreadKind::IoWorker, "qcow2-copier", [this] { copier(); }));
    }
}

Qcow2Image::~Qcow2Image()
{
    m_closing = true;
    m_queue.stop();
    // The worker may wait for mapped I/O, whose accounting runs in process_completions():
    // keep reaping (callbacks are dropped) until the worker and all mapped I/O are done.
    for (;;) {
        {
            std::lock_guard lock(m_mutex);
            if (m_worker_done && m_mapped_in_flight == 0)
                break;
        }
        pollfd pfd { m_engine->completion_fd(), POLLIN, 0 };
        ::poll(&pfd, 1, 10);
        m_engine->process_completions();
    }
    m_thread.join();
    m_copies.stop();
    for (auto& thread : m_copiers)
        thread.join();
    m_engine.reset();
    m_core->set_copy_engine(nullptr);
    m_copy_engine.reset();
    if (!m_read_only) {
        std::lock_guard lock(m_mutex);
        m_core->set_io_lock(nullptr);
        m_core->flush(); // a clean close leaves the image durable, like QEMU's close
    }
}

int Qcow2Image::check(const DiskRequest& request) const
{
    bool writes = request.op != DiskOp::Read && request.op != DiskOp::Flush;
    if (writes && m_read_only)
        return -EROFS;
    uint64_t length = request.op == DiskOp::Read || request.op == DiskOp::Write ? iov_length(request.iov) : request.length;
    if (request.op != DiskOp::Flush && (request.offset > m_size || length > m_size - request.offset))
        return -EINVAL;
    return 1;
}

void Qcow2Image::complete(DiskCompletion done, int result)
{
    m_engine->post([this, done = std::move(done)](int64_t r) {
        if (!m_closing)
            done(static_cast<int>(r));
    },
        result);
}

void Qcow2Image::submit(DiskRequest request, DiskCompletion done)
{
    if (int valid = check(request); valid <= 0)
        return complete(std::move(done), valid);
    if (request.op == DiskOp::Read || request.op == DiskOp::Write) {
        std::unique_lock lock(m_mutex);
        if (try_mapped(lock, request, done))
            return;
    }
    m_queue.push({ std::move(request), std::move(done) });
}

bool Qcow2Image::try_mapped(std::unique_lock<std::mutex>& lock, DiskRequest& request, DiskCompletion& done)
{
    if (m_mapped_blocked)
        return false;
    uint64_t length = iov_length(request.iov);
    std::vector<HostExtent> extents;
    bool mapped = request.op == DiskOp::Read ? m_core->map_for_read(request.offset, length, extents)
                                             : m_core->map_for_write(request.offset, length, extents);
    if (!mapped)
        return false;
    ++m_mapped_in_flight;
    lock.unlock();
    start_mapped(request, std::move(extents), std::move(done));
    return true;
}

// One engine request per extent (zero extents are filled here); the last completion finishes.
void Qcow2Image::start_mapped(DiskRequest& request, std::vector<HostExtent> extents, DiskCompletion done)
{
    struct Progress {
        unsigned remaining = 0;
        int result = 0;
        DiskCompletion done;
    };
    auto progress = std::make_shared<Progress>();
    progress->done = std::move(done);
    for (auto const& e : extents)
        progress->remaining += e.fd >= 0 ? 1 : 0;
    if (progress->remaining == 0) {
        iov_zero(request.iov);
        m_engine->post([this, progress](int64_t) { finish_mapped(progress->done, 0); }, 0);
        return;
    }
    IoOp op = request.op == DiskOp::Read ? IoOp::Read : IoOp::Write;
    uint64_t position = 0;
    for (auto const& e : extents) {
        auto slice = iov_slice(request.iov, position, e.length);
        position += e.length;
        if (e.fd < 0) {
            iov_zero(slice);
            continue;
        }
        IoRequest io { op, e.fd, e.host, std::move(slice) };
        auto callback = [this, progress](int64_t r) {
            if (r < 0 && progress->result == 0)
                progress->result = to_disk_result(r);
            if (--progress->remaining == 0)
                finish_mapped(progress->done, progress->result);
        };
        if (e.alignment > 1)
            submit_aligned(*m_engine, e.alignment, std::move(io), std::move(callback));
        else if (!m_copiers.empty() && e.length >= k_copier_min_bytes)
            m_copies.push({ std::move(io), std::move(callback) });
        else
            m_engine->submit(std::move(io), std::move(callback));
    }
}

void Qcow2Image::copier()
{
    while (auto item = m_copies.pop()) {
        int64_t result = perform_io(item->first);
        m_engine->post(std::move(item->second), result);
    }
}

// Event-loop thread.
void Qcow2Image::finish_mapped(const DiskCompletion& done, int result)
{
    {
        std::lock_guard lock(m_mutex);
        if (--m_mapped_in_flight == 0)
            m_idle.notify_all();
    }
    if (!m_closing)
        done(result);
}

void Qcow2Image::worker()
{
    while (auto item = m_queue.pop()) {
        if (is_write(*item)) {
            write_batch(std::move(*item));
            continue;
        }
        auto& [request, done] = *item;
        std::unique_lock lock(m_mutex);
        // Metadata another request loaded meanwhile may have made this one mappable.
        if ((request.op == DiskOp::Read || request.op == DiskOp::Write) && try_mapped(lock, request, done))
            continue;
        int result = execute(lock, request);
        lock.unlock();
        complete(std::move(done), result);
    }
    std::lock_guard lock(m_mutex);
    m_worker_done = true;
}

// The writes at the head of the queue, together: their new clusters are filled in parallel
// (Qcow2Core::writev_batch) instead of one copy on write after another.
void Qcow2Image::write_batch(Item first)
{
    std::vector<Item> batch;
    batch.push_back(std::move(first));
    while (batch.size() < k_max_batch) {
        auto next = m_queue.try_pop_if(is_write);
        if (!next)
            break;
        batch.push_back(std::move(*next));
    }
    std::unique_lock lock(m_mutex);
    std::vector<Item> slow;
    for (auto& item : batch) {
        // Metadata another request loaded meanwhile may have made this one mappable.
        if (try_mapped(lock, item.first, item.second))
            lock.lock(); // it unlocked to start the I/O
        else
            slow.push_back(std::move(item));
    }
    std::vector<Qcow2Core::WriteRequest> requests;
    for (auto const& item : slow)
        requests.push_back({ item.first.offset, &item.first.iov });
    std::vector<int> results(slow.size(), 0);
    m_core->writev_batch(requests, results);
    lock.unlock();
    for (size_t i = 0; i < slow.size(); ++i)
        complete(std::move(slow[i].second), results[i]);
}

int Qcow2Image::execute(std::unique_lock<std::mutex>& lock, const DiskRequest& request)
{
    uint64_t length = request.op == DiskOp::Read || request.op == DiskOp::Write ? iov_length(request.iov) : request.length;
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
    case DiskOp::WriteZeroes: {
        if (request.op == DiskOp::Discard && !m_discard)
            return 0;
        // These free clusters, which a new allocation may reuse at once: no mapped write may
        // still be in flight to them. Stop mapping and wait for what is in flight.
        m_mapped_blocked = true;
        m_idle.wait(lock, [this] { return m_mapped_in_flight == 0; });
        int result = request.op == DiskOp::Discard ? m_core->discard(request.offset, length)
                                                   : m_core->write_zeroes(request.offset, length);
        m_mapped_blocked = false;
        return result;
    }
    }
    return -EINVAL;
}

} // namespace vireo::qcow2
