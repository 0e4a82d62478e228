#include "devices/virtio/input/virtio_input.h"

#include <linux/input-event-codes.h>

#include <algorithm>
#include <array>

#include "base/log.h"
#include "devices/virtio/queue_run.h"

namespace vireo {

using namespace virtio_input;

namespace {
constexpr uint32_t k_select_offset = 0;
constexpr uint32_t k_subsel_offset = 1;
constexpr uint32_t k_size_offset = 2;
constexpr uint32_t k_payload_offset = 8;

bool is_report_end(const InputEvent& event)
{
    return event.type == EV_SYN && event.code == SYN_REPORT;
}
} // namespace

VirtioInput::VirtioInput(InputProfile profile)
    : m_profile(std::move(profile))
{
}

void VirtioInput::read_config(uint32_t offset, std::span<uint8_t> data)
{
    std::array<uint8_t, k_config_size> config {};
    {
        std::lock_guard guard(m_lock);
        config[k_select_offset] = m_select;
        config[k_subsel_offset] = m_subsel;
        // §5.8.5.1: size 0 for a select/subsel the device does not know.
        auto payload = m_profile.answer(m_select, m_subsel);
        size_t size = std::min(payload.size(), k_cfg_payload_max);
        config[k_size_offset] = static_cast<uint8_t>(size);
        std::copy_n(payload.begin(), size, config.begin() + k_payload_offset);
    }
    std::ranges::fill(data, 0);
    if (offset < config.size())
        std::copy_n(config.begin() + offset, std::min<size_t>(data.size(), config.size() - offset), data.begin());
}

void VirtioInput::write_config(uint32_t offset, std::span<const uint8_t> data)
{
    // Only select and subsel are the driver's to write (§5.8.5.1); the rest is read-only.
    std::lock_guard guard(m_lock);
    for (size_t i = 0; i < data.size(); ++i) {
        if (offset + i == k_select_offset)
            m_select = data[i];
        else if (offset + i == k_subsel_offset)
            m_subsel = data[i];
    }
}

Result<void> VirtioInput::activate(VirtioActivation activation)
{
    std::lock_guard guard(m_lock);
    if (activation.queues.size() < 2)
        return make_error("virtio-input: missing queues");
    m_queues = activation.queues;
    m_interrupt = &activation.interrupt;
    m_failed = false;
    m_pending.clear();
    deliver_locked();
    read_status_locked();
    return {};
}

void VirtioInput::reset()
{
    std::lock_guard guard(m_lock);
    m_queues = {};
    m_interrupt = nullptr;
    m_failed = false;
    m_pending.clear();
    m_leds = 0;
    m_select = k_cfg_unset;
    m_subsel = 0;
}

void VirtioInput::queue_notify(uint16_t queue_index)
{
    std::lock_guard guard(m_lock);
    if (!m_interrupt)
        return;
    if (queue_index == k_event_queue)
        deliver_locked();
    else if (queue_index == k_status_queue)
        read_status_locked();
}

void VirtioInput::send(std::span<const InputEvent> events)
{
    std::lock_guard guard(m_lock);
    if (!m_interrupt)
        return;
    size_t incoming = events.size() + 1;
    if (incoming > k_max_pending_events) {
        VIREO_GUEST_WARN("virtio-input: report of {} events is too long; dropped", events.size());
        return;
    }
    // Drop whole reports (through their SYN_REPORT), oldest first, so that what the guest
    // reads later is still made of complete reports.
    size_t dropped = 0;
    while (!m_pending.empty() && m_pending.size() + incoming > k_max_pending_events) {
        bool report_end = false;
        while (!m_pending.empty() && !report_end) {
            report_end = is_report_end(m_pending.front());
            m_pending.pop_front();
            ++dropped;
        }
    }
    if (dropped)
        VIREO_GUEST_DEBUG("virtio-input: guest is not reading events; dropped {}", dropped);
    m_pending.insert(m_pending.end(), events.begin(), events.end());
    m_pending.push_back(InputEvent { .type = EV_SYN, .code = SYN_REPORT, .value = 0 });
    deliver_locked();
}

uint32_t VirtioInput::leds() const
{
    std::lock_guard guard(m_lock);
    return m_leds;
}

size_t VirtioInput::pending_events() const
{
    std::lock_guard guard(m_lock);
    return m_pending.size();
}

// One event per eventq buffer (§5.8.6.1: the driver posts buffers of at least the event's size).
void VirtioInput::deliver_locked()
{
    if (!m_interrupt || m_failed)
        return;
    auto& queue = m_queues[k_event_queue];
    if (!queue.ready())
        return;
    bool pushed = false;
    QueueRun run(queue, *m_interrupt);
    while (!m_pending.empty()) {
        auto chain = run.pop();
        if (!chain)
            break;
        if (chain->writable_length() < k_input_event_size) {
            // Not a buffer an event fits in: the driver is broken. Hand the buffer back empty and
            // ask for a reset (§2.1.2); the events wait for a fresh driver.
            VIREO_GUEST_WARN("virtio-input: eventq buffer of {} bytes is too short for an event",
                chain->writable_length());
            queue.push(*chain, 0);
            pushed = true;
            m_failed = true;
            m_interrupt->set_needs_reset();
            break;
        }
        auto bytes = encode_input_event(m_pending.front());
        m_pending.pop_front();
        queue.push(*chain, static_cast<uint32_t>(chain->write_to(0, bytes)));
        pushed = true;
    }
    if (pushed && queue.should_notify())
        m_interrupt->signal_used(k_event_queue);
}

// The driver's status events (§5.8.6.2): LED changes are kept, anything else is consumed.
void VirtioInput::read_status_locked()
{
    auto& queue = m_queues[k_status_queue];
    if (!queue.ready())
        return;
    bool pushed = false;
    QueueRun run(queue, *m_interrupt);
    while (auto chain = run.pop()) {
        std::array<uint8_t, k_input_event_size> bytes {};
        if (chain->read_from(0, bytes) == bytes.size()) {
            auto event = decode_input_event(bytes);
            if (event.type == EV_LED && event.code < 32) {
                uint32_t bit = 1u << event.code;
                m_leds = event.value ? (m_leds | bit) : (m_leds & ~bit);
            }
        } else {
            VIREO_GUEST_DEBUG("virtio-input: statusq buffer shorter than an event ignored");
        }
        queue.push(*chain, 0);
        pushed = true;
    }
    if (pushed && queue.should_notify())
        m_interrupt->signal_used(k_status_queue);
}

} // namespace vireo
