#pragma once
// One run of a queue handler on the event loop, with a budget. A driver that keeps its ring
// full (another vCPU making chains available as fast as the device uses them) would otherwise
// hold the loop in one handler for ever. pop() takes at most `budget` chains, by default the
// queue size (one full ring); then it asks the transport to run the handler again on a later
// turn of the loop (VirtioInterrupt::renotify) and returns nothing, as for an empty ring. The
// handler stops; its notification suppression may stay as it is, as the next run comes anyway.
#include <cstdint>
#include <optional>

#include "devices/virtio/queue.h"
#include "devices/virtio/virtio_device.h"

namespace vireo {

class QueueRun {
public:
    QueueRun(VirtQueue& queue, VirtioInterrupt& interrupt)
        : QueueRun(queue, interrupt, queue.size())
    {
    }
    QueueRun(VirtQueue& queue, VirtioInterrupt& interrupt, uint32_t budget)
        : m_queue(queue)
        , m_interrupt(interrupt)
        , m_left(budget)
    {
    }

    // The next available chain; nothing when the ring is empty, the queue broken or the budget
    // spent (then the handler runs again later).
    [[nodiscard]] std::optional<DescriptorChain> pop()
    {
        if (m_left == 0) {
            if (!m_yielded)
                m_interrupt.renotify(m_queue.index());
            m_yielded = true;
            return std::nullopt;
        }
        auto chain = m_queue.pop();
        if (chain)
            --m_left;
        return chain;
    }
    // True once the run ended at its budget: the handler returns and leaves the rest to the next run.
    [[nodiscard]] bool yielded() const { return m_yielded; }

private:
    VirtQueue& m_queue;
    VirtioInterrupt& m_interrupt;
    uint32_t m_left;
    bool m_yielded = false;
};

} // namespace vireo
