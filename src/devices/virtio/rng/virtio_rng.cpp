#include "devices/virtio/rng/virtio_rng.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "base/log.h"
#include "devices/virtio/queue_run.h"

namespace vireo {

namespace {

// Fills `out` from the kernel's CSPRNG; returns the number of bytes filled.
size_t fill_random(std::span<uint8_t> out)
{
    size_t done = 0;
    while (done < out.size()) {
        ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            VIREO_GUEST_WARN("virtio-rng: getrandom failed (errno {})", errno);
            break;
        }
        done += static_cast<size_t>(n);
    }
    return done;
}

} // namespace

VirtioRng::VirtioRng()
    : m_fill(fill_random)
{
}

VirtioRng::VirtioRng(EntropySource source)
    : m_fill(std::move(source))
{
}

void VirtioRng::read_config(uint32_t, std::span<uint8_t> data)
{
    std::ranges::fill(data, 0);
}

Result<void> VirtioRng::activate(VirtioActivation activation)
{
    std::lock_guard guard(m_lock);
    if (activation.queues.empty() || !activation.queues[0].ready())
        return make_error("virtio-rng: request queue not enabled");
    m_queue = &activation.queues[0];
    m_interrupt = &activation.interrupt;
    return {};
}

void VirtioRng::reset()
{
    std::lock_guard guard(m_lock);
    m_queue = nullptr;
    m_interrupt = nullptr;
}

void VirtioRng::queue_notify(uint16_t)
{
    std::lock_guard guard(m_lock);
    if (!m_queue)
        return;
    // §5.4.6: the device fills the writable part; readable buffers carry nothing of interest.
    // At most k_max_bytes_per_chain of it (§5.4.6.2: the device MAY use less than the whole
    // buffer; the used length says how much), so that a huge buffer does not keep the event
    // loop in getrandom.
    QueueRun run(*m_queue, *m_interrupt);
    while (auto chain = run.pop()) {
        uint64_t written = 0;
        for (const auto& buffer : chain->writable()) {
            auto part = buffer.host.first(std::min<uint64_t>(buffer.host.size(), k_max_bytes_per_chain - written));
            size_t n = m_fill(part);
            written += n;
            if (n < part.size() || written == k_max_bytes_per_chain)
                break;
        }
        m_queue->push(*chain, static_cast<uint32_t>(written));
    }
    if (m_queue->should_notify())
        m_interrupt->signal_used(m_queue->index());
}

} // namespace vireo
