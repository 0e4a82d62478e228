#pragma once
// qcow2 as a DiskImage. Reads and writes whose clusters are mapped (metadata cached, clusters
// allocated and exclusively owned) go straight to the I/O engine (io_uring) from submit(),
// with host-contiguous runs merged into one request, through the backing chain too.
// Everything else (allocation, copy on write, cold metadata, compressed clusters, discard,
// flush) queues to one worker thread per image, which runs the synchronous Qcow2Core; it takes
// the writes queued together, so their new clusters are filled in parallel on its own engine.
// One mutex guards the core's metadata: submit() holds it only to map a request; the worker
// holds it while it runs the core, which drops it around fdatasync and new-cluster fills.
// With cache=none the files are O_DIRECT (unaligned transfers bounce, aligned_io.h). On a
// buffered file, large mapped transfers go to two copier threads instead: io_uring completes
// a page-cache hit inside the submit call, so the event-loop thread alone would copy every
// byte. Completions (engine, copiers, worker) all run on the event-loop thread.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "block/disk_image.h"
#include "block/io_engine.h"
#include "block/work_queue.h"
#include "block/qcow2/qcow2_core.h"

namespace vireo::qcow2 {

class Qcow2Image final : public DiskImage {
public:
    [[nodiscard]] static Result<std::unique_ptr<Qcow2Image>> create(std::unique_ptr<Qcow2Core> core, bool discard,
        IoEngineKind engine = IoEngineKind::IoUring);
    ~Qcow2Image() override;

    uint64_t size() const override { return m_size; }
    bool read_only() const override { return m_read_only; }
    bool supports_discard() const override { return m_discard; }
    void submit(DiskRequest request, DiskCompletion done) override;
    // A queue kick's mapped requests reach the kernel in one io_uring_enter.
    void begin_batch() override { m_engine->begin_batch(); }
    void end_batch() override { m_engine->end_batch(); }
    int completion_fd() const override { return m_engine->completion_fd(); }
    void process_completions() override { m_engine->process_completions(); }

private:
    Qcow2Image(std::unique_ptr<Qcow2Core> core, std::unique_ptr<IoEngine> engine, std::unique_ptr<IoEngine> copy_engine,
        bool discard);
    using Item = std::pair<DiskRequest, DiskCompletion>;
    // Maps the request under the held lock and starts its host I/O; false when it needs the worker.
    bool try_mapped(std::unique_lock<std::mutex>& lock, DiskRequest& request, DiskCompletion& done);
    void start_mapped(DiskRequest& request, std::vector<HostExtent> extents, DiskCompletion done);
    void finish_mapped(const DiskCompletion& done, int result);
    void worker();
    void write_batch(Item first);
    void copier();
    int execute(std::unique_lock<std::mutex>& lock, const DiskRequest& request);
    void complete(DiskCompletion done, int result);
    [[nodiscard]] int check(const DiskRequest& request) const;

    std::unique_ptr<Qcow2Core> m_core;
    std::unique_ptr<IoEngine> m_engine;
    std::unique_ptr<IoEngine> m_copy_engine; // the worker's own: new clusters filled in parallel
    uint64_t m_size;
    bool m_read_only;
    bool m_discard;
    std::mutex m_mutex;             // the core's metadata, m_mapped_in_flight, m_mapped_blocked
    std::condition_variable m_idle; // m_mapped_in_flight fell to 0
    unsigned m_mapped_in_flight = 0;
    bool m_mapped_blocked = false;  // a discard is freeing clusters: everything goes to the worker
    std::atomic<bool> m_closing = false; // the destructor runs: completions are dropped
    bool m_worker_done = false;
    WorkQueue<Item> m_queue;
    std::thread m_thread;
    WorkQueue<std::pair<IoRequest, IoCallback>> m_copies;
    std::vector<std::thread> m_copiers;
};

} // namespace vireo::qcow2
