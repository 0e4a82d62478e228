#pragma once
// virtio console (virtio 1.2 §5.3) with a single port and no multiport: receiveq0 (host to
// guest) and transmitq0 (guest to host). The guest sees /dev/hvc0. Each run of a queue handles
// at most a queue size of chains (QueueRun), and at most 64 KiB of output per chain.
#include <deque>
#include <memory>
#include <mutex>
#include <span>

#include "devices/virtio/console/console_backend.h"
#include "devices/virtio/virtio_device.h"

namespace vireo {

class VirtioConsole final : public VirtioDevice {
public:
    static constexpr uint16_t k_receive_queue = 0;
    static constexpr uint16_t k_transmit_queue = 1;
    static constexpr size_t k_max_pending_input = 64 * 1024;
    // Guest output one transmit chain hands the back end at most; the rest is dropped.
    static constexpr uint64_t k_max_output_per_chain = 64 * 1024;

    explicit VirtioConsole(std::shared_ptr<ConsoleBackend> backend, uint16_t cols = 80, uint16_t rows = 25);

    [[nodiscard]] virtio::DeviceType device_type() const override { return virtio::DeviceType::Console; }
    [[nodiscard]] uint64_t device_features() const override;
    [[nodiscard]] uint16_t num_queues() const override { return 2; }
    [[nodiscard]] uint32_t config_size() const override { return 12; }
    void read_config(uint32_t offset, std::span<uint8_t> data) override;
    [[nodiscard]] Result<void> activate(VirtioActivation activation) override;
    void reset() override;
    void queue_notify(uint16_t queue_index) override;

    // Input for the guest (from the back end, on the event-loop thread). Bytes wait in a bounded
    // buffer until the guest posts receive buffers; beyond k_max_pending_input they are dropped.
    void push_input(std::span<const uint8_t> bytes);

private:
    void deliver_input_locked();
    void transmit_locked();

    std::shared_ptr<ConsoleBackend> m_backend;
    uint16_t m_cols;
    uint16_t m_rows;
    std::mutex m_lock;
    std::span<VirtQueue> m_queues;
    VirtioInterrupt* m_interrupt = nullptr;
    std::deque<uint8_t> m_pending_input;
};

} // namespace vireo
