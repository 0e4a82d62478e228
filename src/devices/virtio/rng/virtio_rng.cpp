#include "devices/virtio/rng/virtio_rng.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>

#include "base/log.h"

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
    while (auto chain = m_queue->pop()) {
        uint64_t written = 0;
        for (const auto& buffer : chain->writable()) {
            size_t n = fill_random(buffer.host);
            written += n;
            if (n < buffer.host.size())
                break;
        }
        m_queue->push(*chain, static_cast<uint32_t>(std::min<uint64_t>(written, UINT32_MAX)));
    }
    if (m_queue->should_notify())
        m_interrupt->signal_used(m_queue->index());
}

} // namespace vireo
