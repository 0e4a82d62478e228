#pragma once
// Fakes for virtio device tests: an in-memory DiskImage whose requests complete only when the
// test runs process_completions(), and a VirtioInterrupt that counts.
#include <cstring>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

#include "base/event_fd.h"
#include "block/disk_image.h"
#include "devices/virtio/virtio_device.h"

namespace vireo::test {

class FakeDisk final : public DiskImage {
public:
    explicit FakeDisk(uint64_t size, bool read_only = false, bool discard = true)
        : m_data(size)
        , m_read_only(read_only)
        , m_discard(discard)
        , m_event(EventFd::create().value())
    {
    }

    [[nodiscard]] uint64_t size() const override { return m_data.size(); }
    [[nodiscard]] bool read_only() const override { return m_read_only; }
    [[nodiscard]] bool supports_discard() const override { return m_discard; }
    void submit(DiskRequest request, DiskCompletion done) override
    {
        submitted.push_back(request);
        submitted_in_batch.push_back(batch_depth > 0);
        m_pending.emplace_back(std::move(request), std::move(done));
        m_event.signal();
        if (on_submit)
            on_submit();
    }
    void begin_batch() override
    {
        ++batch_depth;
        ++batches;
    }
    void end_batch() override { --batch_depth; }
    [[nodiscard]] int completion_fd() const override { return m_event.fd(); }
    void process_completions() override
    {
        m_event.consume();
        auto batch = std::exchange(m_pending, {});
        for (auto& [request, done] : batch)
            done(perform(request));
    }

    [[nodiscard]] size_t pending() const { return m_pending.size(); }
    std::vector<uint8_t>& data() { return m_data; }

    std::vector<DiskRequest> submitted;
    std::vector<bool> submitted_in_batch; // per submitted request: inside begin/end_batch()
    int batch_depth = 0;                  // open begin_batch() calls
    int batches = 0;                      // begin_batch() calls so far
    int fail_with = 0; // a -errno every request completes with, when set
    int flushes = 0;
    std::function<void()> on_submit; // runs at the end of each submit() (inside the device's run)

private:
    int perform(const DiskRequest& request)
    {
        if (fail_with)
            return fail_with;
        uint64_t offset = request.offset;
        switch (request.op) {
        case DiskOp::Read:
        case DiskOp::Write:
            for (const auto& v : request.iov) {
                if (offset + v.iov_len > m_data.size())
                    return -EIO;
                if (request.op == DiskOp::Read)
                    std::memcpy(v.iov_base, m_data.data() + offset, v.iov_len);
                else
                    std::memcpy(m_data.data() + offset, v.iov_base, v.iov_len);
                offset += v.iov_len;
            }
            return 0;
        case DiskOp::Flush:
            ++flushes;
            return 0;
        case DiskOp::Discard:
        case DiskOp::WriteZeroes:
            if (offset + request.length > m_data.size())
                return -EIO;
            std::memset(m_data.data() + offset, 0, request.length);
            return 0;
        }
        return -EINVAL;
    }

    std::vector<uint8_t> m_data;
    bool m_read_only;
    bool m_discard;
    EventFd m_event;
    std::deque<std::pair<DiskRequest, DiskCompletion>> m_pending;
};

class FakeInterrupt final : public VirtioInterrupt {
public:
    void signal_used(uint16_t queue_index) override { used.push_back(queue_index); }
    void signal_config_change() override { ++config_changes; }
    void set_needs_reset() override { ++needs_reset; }
    void renotify(uint16_t queue_index) override { renotified.push_back(queue_index); }

    std::vector<uint16_t> used;
    std::vector<uint16_t> renotified; // queues whose handler asked to run again (QueueRun)
    int config_changes = 0;
    int needs_reset = 0;
};

} // namespace vireo::test
