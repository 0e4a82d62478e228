#pragma once
// virtio entropy device (virtio 1.2 §5.4): one request queue whose writable buffers are filled
// from the host's getrandom(2), at most 64 KiB per request and one ring's worth of requests per
// run of the event loop. No features, no configuration space.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>

#include "devices/virtio/virtio_device.h"

namespace vireo {

class VirtioRng final : public VirtioDevice {
public:
    // Fills a buffer with entropy and returns how many bytes it filled.
    using EntropySource = std::function<size_t(std::span<uint8_t>)>;

    // The host's getrandom(2).
    VirtioRng();
    // Another source: a fuzz target's fixed bytes, so that an input does the same at every run.
    explicit VirtioRng(EntropySource source);

    // Entropy one request gets at most (the rest of its buffer is left alone).
    static constexpr uint64_t k_max_bytes_per_chain = 64 * 1024;

    [[nodiscard]] virtio::DeviceType device_type() const override { return virtio::DeviceType::Entropy; }
    [[nodiscard]] uint64_t device_features() const override { return 0; }
    [[nodiscard]] uint16_t num_queues() const override { return 1; }
    [[nodiscard]] uint32_t config_size() const override { return 0; }
    void read_config(uint32_t, std::span<uint8_t> data) override;
    [[nodiscard]] Result<void> activate(VirtioActivation activation) override;
    void reset() override;
    void queue_notify(uint16_t queue_index) override;

private:
    EntropySource m_fill;
    std::mutex m_lock;
    VirtQueue* m_queue = nullptr;
    VirtioInterrupt* m_interrupt = nullptr;
};

} // namespace vireo
