#pragma once
// The virtio-pci modern transport (virtio 1.2 §4.1): exposes a VirtioDevice as a PCI function
// (1af4:1040+type) with the common, ISR and device configuration structures and MSI-X (one vector
// per queue plus one for configuration changes) in memory BAR 0, INTx as fallback, and the notify
// structure in I/O BAR 2 (virtio_pci_regs.h says why).
//
// Notifications: each queue has an eventfd. With an IoEventRegistrar, the eventfd is registered
// as an ioeventfd on the notify port matching the queue's index (and moved with the BAR), so a
// guest kick never exits to user space; with an EventLoop the eventfd is watched and the device's
// queue_notify() runs on the loop thread. A plain port write (no ioeventfd) signals the same
// eventfd, or, without an event loop (unit tests), calls queue_notify() directly.
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "bus/interrupt.h"
#include "devices/pci/pci_device.h"
#include "devices/virtio/queue.h"
#include "devices/virtio/virtio_device.h"
#include "memory/guest_memory.h"

namespace vireo {

class VirtioPciDevice final : public PciDevice {
public:
    // ioevents and loop may be null (tests). Buses come from PciRoot::add_device().
    [[nodiscard]] static Result<std::shared_ptr<VirtioPciDevice>> create(std::shared_ptr<VirtioDevice> device,
        const GuestMemory& memory, MsiRouter& msi, IoEventRegistrar* ioevents, EventLoop* loop);
    ~VirtioPciDevice() override;

    [[nodiscard]] VirtioDevice& device() { return *m_device; }
    [[nodiscard]] uint8_t device_status() const { return m_status.load(); }
    // Resets the virtio device as a driver write of 0 to device_status would (VM reset).
    void reset();
    // The eventfd of queue `index` (signalled by KVM on a guest notify).
    [[nodiscard]] const EventFd& notify_event(uint16_t index) const { return m_notify_events[index]; }
    // Runs the notify handler for queue `index` (what the event loop does on the eventfd).
    void handle_notify(uint16_t index);

protected:
    void bar_read(int bar, uint64_t offset, std::span<uint8_t> data) override;
    void bar_write(int bar, uint64_t offset, std::span<const uint8_t> data) override;
    void bar_remapped(int bar, std::optional<uint64_t> old_address, std::optional<uint64_t> new_address) override;

private:
    class Interrupt;
    VirtioPciDevice(std::shared_ptr<VirtioDevice> device, const GuestMemory& memory, IoEventRegistrar* ioevents,
        EventLoop* loop);

    [[nodiscard]] uint64_t offered_features() const;
    void common_read(uint64_t offset, std::span<uint8_t> data);
    void common_write(uint64_t offset, std::span<const uint8_t> data);
    void write_status_locked(uint8_t status);
    void reset_locked();
    void activate_locked();
    void notify_write(uint16_t index);
    void unregister_notify_ioeventfds(); // m_ioevents must be set
    uint8_t read_isr();

    // Interrupt delivery (any thread).
    void raise(uint16_t vector, uint8_t isr_bit);
    void set_needs_reset();
    void signal_config();

    std::shared_ptr<VirtioDevice> m_device;
    const GuestMemory& m_memory;
    IoEventRegistrar* m_ioevents;
    EventLoop* m_loop;
    std::unique_ptr<Interrupt> m_interrupt;

    std::mutex m_lock; // common config and every call into the device
    std::vector<VirtQueue> m_queues;
    std::vector<EventFd> m_notify_events;
    std::unique_ptr<std::atomic<uint16_t>[]> m_queue_vectors;
    std::atomic<uint16_t> m_config_vector;
    std::atomic<uint8_t> m_status { 0 };
    std::atomic<uint8_t> m_config_generation { 0 };
    std::atomic<uint8_t> m_isr { 0 };
    uint32_t m_device_feature_select = 0;
    uint32_t m_driver_feature_select = 0;
    uint64_t m_driver_features = 0;
    uint16_t m_queue_select = 0;
    bool m_activated = false;
    std::optional<uint64_t> m_ioevent_base; // notify port the ioeventfds are registered at
};

} // namespace vireo
