#pragma once
// virtio input device (virtio 1.2 §5.8): a keyboard, mouse or tablet that sends Linux evdev
// events. eventq (device to driver) gets one 8-byte virtio_input_event per buffer; statusq
// (driver to device) brings the guest's LED changes. The configuration space answers the
// driver's select/subsel questions from the device's InputProfile.
//
// Threads: send() comes from the event loop (VNC input); queue_notify() too; configuration,
// activate() and reset() from vCPU threads. One mutex guards everything.
#include <deque>
#include <mutex>
#include <span>

#include "devices/virtio/input/evdev.h"
#include "devices/virtio/input/input_profile.h"
#include "devices/virtio/virtio_device.h"

namespace vireo {

class VirtioInput final : public VirtioDevice {
public:
    static constexpr uint16_t k_event_queue = 0;
    static constexpr uint16_t k_status_queue = 1;
    static constexpr uint16_t k_queue_size = 64;
    // Events waiting for eventq buffers; past this, whole reports go, oldest first.
    static constexpr size_t k_max_pending_events = 64;
    // struct virtio_input_config: select, subsel, size, 5 reserved bytes, a 128-byte union.
    static constexpr uint32_t k_config_size = 8 + virtio_input::k_cfg_payload_max;

    explicit VirtioInput(InputProfile profile);

    [[nodiscard]] virtio::DeviceType device_type() const override { return virtio::DeviceType::Input; }
    [[nodiscard]] uint64_t device_features() const override { return 0; }
    [[nodiscard]] uint16_t num_queues() const override { return 2; }
    [[nodiscard]] uint16_t queue_max_size(uint16_t) const override { return k_queue_size; }
    [[nodiscard]] uint32_t config_size() const override { return k_config_size; }
    void read_config(uint32_t offset, std::span<uint8_t> data) override;
    void write_config(uint32_t offset, std::span<const uint8_t> data) override;
    [[nodiscard]] Result<void> activate(VirtioActivation activation) override;
    void reset() override;
    void queue_notify(uint16_t queue_index) override;

    [[nodiscard]] InputKind kind() const { return m_profile.kind; }

    // One report for the guest: `events`, then SYN_REPORT. Dropped while no driver runs the
    // device (a keyboard nobody listens to); otherwise it waits, bounded, for eventq buffers.
    void send(std::span<const InputEvent> events);

    // The guest's LEDs from statusq: bit n is LED code n (LED_NUML, LED_CAPSL, ...).
    [[nodiscard]] uint32_t leds() const;
    [[nodiscard]] size_t pending_events() const;

private:
    void deliver_locked();
    void read_status_locked();

    const InputProfile m_profile;
    mutable std::mutex m_lock;
    uint8_t m_select = virtio_input::k_cfg_unset;
    uint8_t m_subsel = 0;
    std::span<VirtQueue> m_queues;
    VirtioInterrupt* m_interrupt = nullptr;
    bool m_failed = false; // the driver gave an unusable buffer: nothing more until a reset
    std::deque<InputEvent> m_pending;
    uint32_t m_leds = 0;
};

} // namespace vireo
