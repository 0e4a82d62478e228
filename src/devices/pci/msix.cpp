#include "devices/pci/msix.h"

#include <algorithm>
#include <cstring>

#include "base/log.h"

namespace vireo {

Result<std::unique_ptr<Msix>> Msix::create(uint16_t vectors, MsiRouter& router)
{
    if (vectors == 0 || vectors > 2048)
        return make_error("MSI-X: bad vector count {}", vectors);
    std::unique_ptr<Msix> msix(new Msix(router));
    for (uint16_t i = 0; i < vectors; ++i) {
        auto vector = std::make_unique<Vector>(TRY(EventFd::create()));
        vector->gsi = TRY(router.allocate_gsi());
        msix->m_vectors.push_back(std::move(vector));
    }
    return msix;
}

Msix::~Msix()
{
    for (auto& vector : m_vectors) {
        if (vector->irqfd_attached)
            m_router.detach_irqfd(vector->gsi, vector->event.fd());
    }
}

void Msix::table_read(uint64_t offset, std::span<uint8_t> data)
{
    // The table is accessed as aligned dwords or qwords (PCI 3.0 §6.8.2).
    if ((data.size() != 4 && data.size() != 8) || offset % data.size() || offset + data.size() > table_size()) {
        std::ranges::fill(data, 0xff);
        return;
    }
    std::lock_guard guard(m_lock);
    for (size_t done = 0; done < data.size(); done += 4) {
        uint64_t at = offset + done;
        uint32_t value = m_vectors[at / k_entry_size]->entry[(at % k_entry_size) / 4];
        std::memcpy(data.data() + done, &value, 4);
    }
}

void Msix::table_write(uint64_t offset, std::span<const uint8_t> data)
{
    if ((data.size() != 4 && data.size() != 8) || offset % data.size() || offset + data.size() > table_size()) {
        VIREO_GUEST_WARN("MSI-X: bad table write of {} bytes at {:#x}", data.size(), offset);
        return;
    }
    std::lock_guard guard(m_lock);
    for (size_t done = 0; done < data.size(); done += 4) {
        uint64_t at = offset + done;
        uint32_t value;
        std::memcpy(&value, data.data() + done, 4);
        auto index = static_cast<uint16_t>(at / k_entry_size);
        size_t word = (at % k_entry_size) / 4;
        // Vector control: only bit 0 (mask) is defined; the rest is reserved, reads 0.
        m_vectors[index]->entry[word] = word == 3 ? (value & 1) : value;
        update_vector_locked(index);
    }
}

void Msix::pba_read(uint64_t offset, std::span<uint8_t> data)
{
    if ((data.size() != 4 && data.size() != 8) || offset % data.size() || offset + data.size() > pba_size()) {
        std::ranges::fill(data, 0xff);
        return;
    }
    std::lock_guard guard(m_lock);
    std::ranges::fill(data, 0);
    for (size_t byte = 0; byte < data.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            uint64_t index = (offset + byte) * 8 + static_cast<uint64_t>(bit);
            if (index < m_vectors.size() && m_vectors[index]->pending)
                data[byte] = static_cast<uint8_t>(data[byte] | (1 << bit));
        }
    }
}

void Msix::set_control(uint16_t control)
{
    std::lock_guard guard(m_lock);
    m_enabled.store(control & k_control_enable, std::memory_order_release);
    m_function_masked = control & k_control_function_mask;
    for (uint16_t i = 0; i < vector_count(); ++i)
        update_vector_locked(i);
}

// Recomputes a vector's route and deliverability after the guest changed its entry or the
// function's control, and delivers a pending message when it becomes unmasked (§6.8.2.9).
void Msix::update_vector_locked(uint16_t index)
{
    Vector& vector = *m_vectors[index];
    MsiMessage message { (uint64_t { vector.entry[1] } << 32) | vector.entry[0], vector.entry[2] };
    bool masked = (vector.entry[3] & 1) || m_function_masked || !m_enabled.load(std::memory_order_relaxed);
    // KVM can refuse a message the guest wrote (EINVAL); the guest can repeat that at will, so
    // the warnings are rate-limited.
    if (!masked && (!vector.routed || vector.routed_message.address != message.address
                       || vector.routed_message.data != message.data)) {
        if (auto result = m_router.set_msi_route(vector.gsi, message); !result) {
            VIREO_GUEST_WARN("MSI-X vector {}: {}", index, result.error().describe());
            vector.deliverable.store(false, std::memory_order_release);
            return;
        }
        vector.routed = true;
        vector.routed_message = message;
        if (!vector.irqfd_attached) {
            if (auto result = m_router.attach_irqfd(vector.gsi, vector.event.fd()); !result) {
                VIREO_GUEST_WARN("MSI-X vector {}: {}", index, result.error().describe());
                vector.deliverable.store(false, std::memory_order_release);
                return;
            }
            vector.irqfd_attached = true;
        }
    }
    vector.deliverable.store(!masked && vector.routed, std::memory_order_release);
    if (!masked && vector.routed && vector.pending) {
        vector.pending = false;
        vector.event.signal();
    }
}

void Msix::signal(uint16_t vector_index)
{
    if (vector_index >= m_vectors.size())
        return;
    Vector& vector = *m_vectors[vector_index];
    if (vector.deliverable.load(std::memory_order_acquire)) {
        vector.event.signal();
        return;
    }
    // Slow path: decide under the lock, so that an unmask racing with us delivers the message.
    std::lock_guard guard(m_lock);
    if (vector.deliverable.load(std::memory_order_relaxed))
        vector.event.signal();
    else
        vector.pending = true;
}

void Msix::reset()
{
    std::lock_guard guard(m_lock);
    m_enabled.store(false, std::memory_order_release);
    m_function_masked = false;
    for (auto& vector : m_vectors) {
        vector->entry[0] = vector->entry[1] = vector->entry[2] = 0;
        vector->entry[3] = 1;
        vector->pending = false;
        vector->deliverable.store(false, std::memory_order_release);
    }
}

} // namespace vireo
