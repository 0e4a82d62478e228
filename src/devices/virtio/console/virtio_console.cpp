#include "devices/virtio/console/virtio_console.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "base/log.h"
#include "devices/virtio/queue_run.h"

namespace vireo {

namespace {
constexpr uint64_t k_console_f_size = 1ULL << 0; // cols/rows valid (§5.3.3)
}

VirtioConsole::VirtioConsole(std::shared_ptr<ConsoleBackend> backend, uint16_t cols, uint16_t rows)
    : m_backend(std::move(backend))
    , m_cols(cols)
    , m_rows(rows)
{
}

uint64_t VirtioConsole::device_features() const
{
    // No VIRTIO_CONSOLE_F_MULTIPORT: one port on queues 0/1 (§5.3.2).
    return k_console_f_size;
}

void VirtioConsole::read_config(uint32_t offset, std::span<uint8_t> data)
{
    // struct virtio_console_config { le16 cols; le16 rows; le32 max_nr_ports; le32 emerg_wr; }
    std::array<uint8_t, 12> config {};
    std::memcpy(&config[0], &m_cols, 2);
    std::memcpy(&config[2], &m_rows, 2);
    uint32_t ports = 1;
    std::memcpy(&config[4], &ports, 4);
    std::ranges::fill(data, 0);
    if (offset < config.size())
        std::copy_n(config.begin() + offset, std::min<size_t>(data.size(), config.size() - offset), data.begin());
}

Result<void> VirtioConsole::activate(VirtioActivation activation)
{
    std::lock_guard guard(m_lock);
    if (activation.queues.size() < 2)
        return make_error("virtio-console: missing queues");
    m_queues = activation.queues;
    m_interrupt = &activation.interrupt;
    deliver_input_locked();
    return {};
}

void VirtioConsole::reset()
{
    std::lock_guard guard(m_lock);
    m_queues = {};
    m_interrupt = nullptr;
}

void VirtioConsole::queue_notify(uint16_t queue_index)
{
    std::lock_guard guard(m_lock);
    if (!m_interrupt)
        return;
    if (queue_index == k_receive_queue)
        deliver_input_locked();
    else if (queue_index == k_transmit_queue)
        transmit_locked();
}

void VirtioConsole::push_input(std::span<const uint8_t> bytes)
{
    std::lock_guard guard(m_lock);
    size_t room = k_max_pending_input - std::min(k_max_pending_input, m_pending_input.size());
    if (bytes.size() > room)
        VIREO_GUEST_WARN("virtio-console: guest is not reading; dropping {} input bytes", bytes.size() - room);
    m_pending_input.insert(m_pending_input.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min(room, bytes.size())));
    deliver_input_locked();
}

void VirtioConsole::deliver_input_locked()
{
    if (!m_interrupt || m_pending_input.empty())
        return;
    auto& queue = m_queues[k_receive_queue];
    if (!queue.ready())
        return;
    bool pushed = false;
    QueueRun run(queue, *m_interrupt);
    while (!m_pending_input.empty()) {
        auto chain = run.pop();
        if (!chain)
            break;
        size_t length = std::min<uint64_t>(chain->writable_length(), m_pending_input.size());
        std::vector<uint8_t> bytes(m_pending_input.begin(), m_pending_input.begin() + static_cast<std::ptrdiff_t>(length));
        size_t written = chain->write_to(0, bytes);
        m_pending_input.erase(m_pending_input.begin(), m_pending_input.begin() + static_cast<std::ptrdiff_t>(written));
        queue.push(*chain, static_cast<uint32_t>(written));
        pushed = true;
    }
    if (pushed && queue.should_notify())
        m_interrupt->signal_used(k_receive_queue);
}

void VirtioConsole::transmit_locked()
{
    auto& queue = m_queues[k_transmit_queue];
    if (!queue.ready())
        return;
    bool pushed = false;
    QueueRun run(queue, *m_interrupt);
    while (auto chain = run.pop()) {
        // The back end takes bytes synchronously on the event loop: at most
        // k_max_output_per_chain of a chain (Linux sends at most 32 KiB per buffer).
        uint64_t left = k_max_output_per_chain;
        for (const auto& buffer : chain->readable()) {
            auto part = buffer.host.first(std::min<uint64_t>(buffer.host.size(), left));
            m_backend->write(part);
            left -= part.size();
            if (left == 0)
                break;
        }
        if (chain->readable_length() > k_max_output_per_chain)
            VIREO_GUEST_WARN("virtio-console: dropping {} bytes of output beyond {} in one buffer",
                chain->readable_length() - k_max_output_per_chain, k_max_output_per_chain);
        queue.push(*chain, 0);
        pushed = true;
    }
    if (pushed && queue.should_notify())
        m_interrupt->signal_used(k_transmit_queue);
}

} // namespace vireo
