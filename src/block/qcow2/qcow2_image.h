#pragma once
// qcow2 as a DiskImage: requests queue to one worker thread per image, which runs the
// synchronous Qcow2Core (metadata and data, serialised); completions are posted to a queue
// whose eventfd is completion_fd(), so callbacks run on the event-loop thread.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "block/completion_queue.h"
#include "block/disk_image.h"
#include "block/work_queue.h"
#include "block/qcow2/qcow2_core.h"

namespace vireo::qcow2 {

class Qcow2Image final : public DiskImage {
public:
    [[nodiscard]] static Result<std::unique_ptr<Qcow2Image>> create(std::unique_ptr<Qcow2Core> core, bool discard);
    ~Qcow2Image() override;

    uint64_t size() const override { return m_size; }
    bool read_only() const override { return m_read_only; }
    bool supports_discard() const override { return m_discard; }
    void submit(DiskRequest request, DiskCompletion done) override;
    int completion_fd() const override { return m_completions.fd(); }
    void process_completions() override { m_completions.drain(); }

private:
    Qcow2Image(std::unique_ptr<Qcow2Core> core, CompletionQueue completions, bool discard);
    void worker();
    int execute(const DiskRequest& request);

    std::unique_ptr<Qcow2Core> m_core;
    CompletionQueue m_completions;
    uint64_t m_size;
    bool m_read_only;
    bool m_discard;
    WorkQueue<std::pair<DiskRequest, DiskCompletion>> m_queue;
    std::thread m_thread;
};

} // namespace vireo::qcow2
