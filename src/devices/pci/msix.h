#pragma once
// MSI-X for one PCI function (PCI Local Bus 3.0 §6.8.2): the vector table and pending-bit array
// (both live in a BAR of the function), the capability's Message Control, and one KVM GSI and
// irqfd per vector so that raising a vector is one eventfd write from any thread.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "base/event_fd.h"
#include "base/result.h"
#include "bus/interrupt.h"

namespace vireo {

class Msix {
public:
    static constexpr uint16_t k_control_function_mask = 1 << 14;
    static constexpr uint16_t k_control_enable = 1 << 15;
    static constexpr uint32_t k_entry_size = 16;

    // Allocates an eventfd and a GSI per vector (irqfds are attached when a vector is first routed).
    [[nodiscard]] static Result<std::unique_ptr<Msix>> create(uint16_t vectors, MsiRouter& router);
    ~Msix();

    [[nodiscard]] uint16_t vector_count() const { return static_cast<uint16_t>(m_vectors.size()); }
    [[nodiscard]] uint32_t table_size() const { return k_entry_size * vector_count(); }
    [[nodiscard]] uint32_t pba_size() const { return ((vector_count() + 63) / 64) * 8; }

    // Table and PBA accesses; offsets are relative to the start of each. Any width; unaligned or
    // out-of-range accesses read all-ones / are dropped.
    void table_read(uint64_t offset, std::span<uint8_t> data);
    void table_write(uint64_t offset, std::span<const uint8_t> data);
    void pba_read(uint64_t offset, std::span<uint8_t> data);

    // The guest wrote Message Control (enable, function mask).
    void set_control(uint16_t control);
    [[nodiscard]] bool enabled() const { return m_enabled.load(std::memory_order_acquire); }

    // Raises vector `vector`: writes its eventfd if deliverable, else records the pending bit
    // (delivered when unmasked). Any thread.
    void signal(uint16_t vector);
    [[nodiscard]] const EventFd& event(uint16_t vector) const { return m_vectors[vector]->event; }
    [[nodiscard]] uint32_t gsi(uint16_t vector) const { return m_vectors[vector]->gsi; }

    // Back to power-on state: all vectors masked, MSI-X disabled.
    void reset();

private:
    struct Vector {
        explicit Vector(EventFd fd)
            : event(std::move(fd))
        {
        }
        EventFd event;
        uint32_t gsi = 0;
        uint32_t entry[4] = { 0, 0, 0, 1 }; // address lo, address hi, data, vector control (masked)
        bool pending = false;
        bool irqfd_attached = false;
        bool routed = false;
        MsiMessage routed_message;
        std::atomic<bool> deliverable { false };
    };
    explicit Msix(MsiRouter& router)
        : m_router(router)
    {
    }
    void update_vector_locked(uint16_t index);

    MsiRouter& m_router;
    std::mutex m_lock;
    std::vector<std::unique_ptr<Vector>> m_vectors; // stable addresses: Vector holds an atomic
    std::atomic<bool> m_enabled { false };
    bool m_function_masked = false;
};

} // namespace vireo
