#pragma once
// Coalesces used-buffer notifications: while a device handles a batch it marks the queues it
// pushed used entries to, then flush() asks each marked queue whether the driver wants an
// interrupt (EVENT_IDX or NO_INTERRUPT, virtio 1.2 §2.7.10) and sends at most one per queue.
#include <span>
#include <vector>

#include "devices/virtio/queue.h"
#include "devices/virtio/virtio_device.h"

namespace vireo {

class UsedNotifications {
public:
    void reset(size_t queue_count) { m_pushed.assign(queue_count, false); }
    void clear() { m_pushed.clear(); }
    void mark(size_t queue) { m_pushed[queue] = true; }

    void flush(std::span<VirtQueue> queues, VirtioInterrupt& interrupt)
    {
        for (uint16_t i = 0; i < m_pushed.size() && i < queues.size(); ++i) {
            if (!m_pushed[i])
                continue;
            m_pushed[i] = false;
            if (queues[i].should_notify())
                interrupt.signal_used(i);
        }
    }

private:
    std::vector<bool> m_pushed; // per queue: used entries pushed since the last flush
};

} // namespace vireo
