#include "devices/virtio/virtio_pci.h"

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "devices/virtio/virtio_pci_regs.h"

namespace vireo {

using namespace virtio_pci;

class VirtioPciDevice::Interrupt final : public VirtioInterrupt {
public:
    explicit Interrupt(VirtioPciDevice& transport)
        : m_transport(transport)
    {
    }
    void signal_used(uint16_t queue_index) override
    {
        if (queue_index < m_transport.m_queues.size())
            m_transport.raise(m_transport.m_queue_vectors[queue_index].load(), k_isr_queue);
    }
    void signal_config_change() override { m_transport.signal_config(); }
    void set_needs_reset() override { m_transport.set_needs_reset(); }
    void renotify(uint16_t queue_index) override
    {
        // The loop watches the eventfd; without a loop (unit tests) nothing reads it.
        if (queue_index < m_transport.m_notify_events.size())
            m_transport.m_notify_events[queue_index].signal();
    }

private:
    VirtioPciDevice& m_transport;
};

namespace {

uint32_t class_code_for(virtio::DeviceType type)
{
    switch (type) {
    case virtio::DeviceType::Net:
        return 0x02'00'00; // Ethernet controller
    case virtio::DeviceType::Block:
        return 0x01'80'00; // other mass storage
    case virtio::DeviceType::Console:
        return 0x07'80'00; // other communication controller
    case virtio::DeviceType::Input:
        return 0x09'80'00; // other input controller
    default:
        return 0xff'00'00;
    }
}

// The body of a virtio_pci_cap after cap_vndr and cap_next (§4.1.4).
std::vector<uint8_t> virtio_cap(uint8_t cfg_type, int bar, uint32_t offset, uint32_t length,
    std::optional<uint32_t> multiplier = {})
{
    std::vector<uint8_t> body(multiplier ? 18 : 14, 0);
    body[0] = static_cast<uint8_t>(body.size() + 2); // cap_len
    body[1] = cfg_type;
    body[2] = static_cast<uint8_t>(bar);
    std::memcpy(&body[6], &offset, 4);
    std::memcpy(&body[10], &length, 4);
    if (multiplier)
        std::memcpy(&body[14], &*multiplier, 4);
    return body;
}

template<typename T>
void put(std::span<uint8_t, k_common_cfg_size> bytes, uint32_t offset, T value)
{
    std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

} // namespace

VirtioPciDevice::VirtioPciDevice(std::shared_ptr<VirtioDevice> device, const GuestMemory& memory,
    IoEventRegistrar* ioevents, EventLoop* loop)
    : PciDevice(PciIds {
        .vendor = k_vendor_id,
        .device = static_cast<uint16_t>(k_device_id_base + static_cast<uint16_t>(device->device_type())),
        .class_code = class_code_for(device->device_type()),
        .revision = k_revision,
        .subsystem_vendor = k_vendor_id,
        .subsystem = k_subsystem_id,
    })
    , m_device(std::move(device))
    , m_memory(memory)
    , m_ioevents(ioevents)
    , m_loop(loop)
    , m_interrupt(std::make_unique<Interrupt>(*this))
    , m_config_vector(k_no_vector)
{
}

Result<std::shared_ptr<VirtioPciDevice>> VirtioPciDevice::create(std::shared_ptr<VirtioDevice> device,
    const GuestMemory& memory, MsiRouter& msi, IoEventRegistrar* ioevents, EventLoop* loop)
{
    uint16_t queue_count = device->num_queues();
    if (queue_count == 0 || queue_count > k_max_queues)
        return make_error("virtio-pci: bad queue count {}", queue_count);
    if (device->config_size() > k_device_cfg_max)
        return make_error("virtio-pci: device config of {} bytes is too big", device->config_size());
    std::shared_ptr<VirtioPciDevice> transport(new VirtioPciDevice(std::move(device), memory, ioevents, loop));
    auto& self = *transport;

    self.m_queue_vectors = std::make_unique<std::atomic<uint16_t>[]>(queue_count);
    for (uint16_t i = 0; i < queue_count; ++i) {
        uint16_t max = self.m_device->queue_max_size(i);
        if (max == 0 || (max & (max - 1)) != 0 || max > 32768)
            return make_error("virtio-pci: queue {} max size {} is not a power of two", i, max);
        self.m_queues.emplace_back(i, max);
        self.m_notify_events.push_back(TRY(EventFd::create()));
        self.m_queue_vectors[i].store(k_no_vector);
    }

    self.add_bar(k_bar, BarKind::Memory32, k_bar_size);
    self.add_bar(k_notify_bar, BarKind::Io, k_notify_bar_size);
    auto common = virtio_cap(k_cap_common_cfg, k_bar, k_common_offset, k_common_cfg_size);
    self.add_capability(pci::k_cap_vendor, common);
    auto notify = virtio_cap(k_cap_notify_cfg, k_notify_bar, 0, k_notify_length, 0);
    self.add_capability(pci::k_cap_vendor, notify);
    auto isr = virtio_cap(k_cap_isr_cfg, k_bar, k_isr_offset, 1);
    self.add_capability(pci::k_cap_vendor, isr);
    if (uint32_t size = self.m_device->config_size(); size > 0) {
        auto device_cfg = virtio_cap(k_cap_device_cfg, k_bar, k_device_cfg_offset, size);
        self.add_capability(pci::k_cap_vendor, device_cfg);
    }
    TRY(self.add_msix(static_cast<uint16_t>(queue_count + 1), k_bar, k_msix_table_offset, k_msix_pba_offset, msi));

    if (loop) {
        // Registered once, before the loop runs (EventLoop::add is not thread-safe); only the
        // KVM side of the ioeventfd moves with the BAR.
        std::weak_ptr<VirtioPciDevice> weak = transport;
        for (uint16_t i = 0; i < queue_count; ++i) {
            TRY(loop->add(self.m_notify_events[i].fd(), EPOLLIN, [weak, i](uint32_t) {
                if (auto strong = weak.lock()) {
                    strong->m_notify_events[i].consume();
                    strong->handle_notify(i);
                }
            }));
        }
    }
    return transport;
}

VirtioPciDevice::~VirtioPciDevice()
{
    if (m_loop) {
        for (auto& event : m_notify_events)
            m_loop->remove(event.fd());
    }
    if (m_ioevents)
        unregister_notify_ioeventfds();
}

void VirtioPciDevice::unregister_notify_ioeventfds()
{
    if (!m_ioevent_base)
        return;
    for (size_t i = 0; i < m_notify_events.size(); ++i)
        m_ioevents->remove_ioeventfd(IoEventRegistrar::Space::Pio, *m_ioevent_base, k_notify_length,
            m_notify_events[i].fd(), i);
    m_ioevent_base.reset();
}

uint64_t VirtioPciDevice::offered_features() const
{
    return m_device->device_features() | virtio::k_f_version_1 | virtio::k_f_ring_indirect_desc
        | virtio::k_f_ring_event_idx;
}

void VirtioPciDevice::bar_read(int bar, uint64_t offset, std::span<uint8_t> data)
{
    std::ranges::fill(data, 0);
    if (bar == k_notify_bar) // write-only: reads as zero
        return;
    if (offset >= k_common_offset && offset < k_common_offset + k_common_cfg_size) {
        common_read(offset - k_common_offset, data);
    } else if (offset == k_isr_offset && data.size() == 1) {
        data[0] = read_isr();
    } else if (offset >= k_device_cfg_offset && offset < k_device_cfg_offset + k_device_cfg_max) {
        uint64_t at = offset - k_device_cfg_offset;
        std::lock_guard guard(m_lock);
        if (at + data.size() <= m_device->config_size())
            m_device->read_config(static_cast<uint32_t>(at), data);
    }
}

void VirtioPciDevice::bar_write(int bar, uint64_t offset, std::span<const uint8_t> data)
{
    if (bar == k_notify_bar) {
        // The driver writes the queue index, 16 bits (§4.1.5.2; no VIRTIO_F_NOTIFICATION_DATA).
        if (offset == 0 && data.size() == k_notify_length)
            notify_write(uint16_t(data[0] | data[1] << 8));
        else
            VIREO_GUEST_WARN("virtio-pci: notify write of {} bytes at offset {} ignored", data.size(), offset);
    } else if (offset >= k_common_offset && offset < k_common_offset + k_common_cfg_size) {
        common_write(offset - k_common_offset, data);
    } else if (offset >= k_device_cfg_offset && offset < k_device_cfg_offset + k_device_cfg_max) {
        uint64_t at = offset - k_device_cfg_offset;
        std::lock_guard guard(m_lock);
        if (at + data.size() <= m_device->config_size())
            m_device->write_config(static_cast<uint32_t>(at), data);
    } else {
        VIREO_GUEST_WARN("virtio-pci: write of {} bytes at BAR offset {:#x} ignored", data.size(), offset);
    }
}

void VirtioPciDevice::common_read(uint64_t offset, std::span<uint8_t> data)
{
    if (offset + data.size() > k_common_cfg_size)
        return;
    std::array<uint8_t, k_common_cfg_size> bytes {};
    {
        std::lock_guard guard(m_lock);
        uint64_t features = offered_features();
        put<uint32_t>(bytes, k_device_feature_select, m_device_feature_select);
        put<uint32_t>(bytes, k_device_feature,
            m_device_feature_select < 2 ? static_cast<uint32_t>(features >> (32 * m_device_feature_select)) : 0);
        put<uint32_t>(bytes, k_driver_feature_select, m_driver_feature_select);
        put<uint32_t>(bytes, k_driver_feature,
            m_driver_feature_select < 2 ? static_cast<uint32_t>(m_driver_features >> (32 * m_driver_feature_select)) : 0);
        put<uint16_t>(bytes, k_config_msix_vector, m_config_vector.load());
        put<uint16_t>(bytes, k_num_queues, static_cast<uint16_t>(m_queues.size()));
        put<uint8_t>(bytes, k_device_status, m_status.load());
        put<uint8_t>(bytes, k_config_generation, m_config_generation.load());
        put<uint16_t>(bytes, k_queue_select, m_queue_select);
        if (m_queue_select < m_queues.size()) {
            const auto& queue = m_queues[m_queue_select];
            put<uint16_t>(bytes, k_queue_size, queue.size());
            put<uint16_t>(bytes, k_queue_msix_vector, m_queue_vectors[m_queue_select].load());
            put<uint16_t>(bytes, k_queue_enable, queue.enabled() ? 1 : 0);
            put<uint16_t>(bytes, k_queue_notify_off, m_queue_select);
            put<uint64_t>(bytes, k_queue_desc, queue.desc_table());
            put<uint64_t>(bytes, k_queue_driver, queue.avail_ring());
            put<uint64_t>(bytes, k_queue_device, queue.used_ring());
        }
        // An unknown queue_select reads queue_size 0: "not available" (§4.1.4.3).
    }
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(offset), data.size(), data.begin());
}

void VirtioPciDevice::common_write(uint64_t offset, std::span<const uint8_t> data)
{
    if (offset + data.size() > k_common_cfg_size)
        return;
    uint64_t value = 0;
    std::memcpy(&value, data.data(), std::min<size_t>(data.size(), 8));
    auto size = data.size();
    std::lock_guard guard(m_lock);
    uint8_t status = m_status.load();
    bool queue_valid = m_queue_select < m_queues.size();
    // Queue configuration is frozen once the driver is running (§4.1.4.3.2).
    bool queue_writable = queue_valid && !(status & virtio::k_status_driver_ok) && !m_queues[m_queue_select].enabled();

    auto set_half = [&](GuestAddress current, uint64_t field) -> std::optional<GuestAddress> {
        // 64-bit fields may be written whole or as two 32-bit halves.
        if (offset == field && size == 8)
            return value;
        if (offset == field && size == 4)
            return (current & ~0xffff'ffffULL) | (value & 0xffff'ffff);
        if (offset == field + 4 && size == 4)
            return (current & 0xffff'ffffULL) | (value << 32);
        return std::nullopt;
    };

    if (offset == k_device_feature_select && size == 4) {
        m_device_feature_select = static_cast<uint32_t>(value);
    } else if (offset == k_driver_feature_select && size == 4) {
        m_driver_feature_select = static_cast<uint32_t>(value);
    } else if (offset == k_driver_feature && size == 4) {
        if (m_driver_feature_select < 2 && !(status & virtio::k_status_features_ok)) {
            uint32_t shift = 32 * m_driver_feature_select;
            m_driver_features = (m_driver_features & ~(0xffff'ffffULL << shift)) | ((value & 0xffff'ffff) << shift);
        }
    } else if (offset == k_config_msix_vector && size == 2) {
        // A vector the function does not have reads back NO_VECTOR (§4.1.5.1.2).
        auto vector = static_cast<uint16_t>(value);
        m_config_vector.store(vector < msix()->vector_count() ? vector : k_no_vector);
    } else if (offset == k_device_status && size == 1) {
        write_status_locked(static_cast<uint8_t>(value));
    } else if (offset == k_queue_select && size == 2) {
        m_queue_select = static_cast<uint16_t>(value);
    } else if (offset == k_queue_size && size == 2) {
        if (queue_writable)
            m_queues[m_queue_select].set_size(static_cast<uint16_t>(value));
    } else if (offset == k_queue_msix_vector && size == 2) {
        auto vector = static_cast<uint16_t>(value);
        if (queue_valid)
            m_queue_vectors[m_queue_select].store(vector < msix()->vector_count() ? vector : k_no_vector);
    } else if (offset == k_queue_enable && size == 2) {
        // Only 1 may be written; disabling goes through a device reset (§4.1.4.3.2).
        if (queue_writable && value == 1)
            m_queues[m_queue_select].set_enabled(true);
    } else if (offset >= k_queue_desc && offset < k_common_cfg_size) {
        if (!queue_writable)
            return;
        auto& queue = m_queues[m_queue_select];
        if (auto address = set_half(queue.desc_table(), k_queue_desc))
            queue.set_desc_table(*address);
        else if (auto driver = set_half(queue.avail_ring(), k_queue_driver))
            queue.set_avail_ring(*driver);
        else if (auto device = set_half(queue.used_ring(), k_queue_device))
            queue.set_used_ring(*device);
    } else {
        VIREO_GUEST_WARN("virtio-pci: common config write of {} bytes at {:#x} ignored", size, offset);
    }
}

void VirtioPciDevice::write_status_locked(uint8_t status)
{
    if (status == 0) {
        reset_locked();
        return;
    }
    uint8_t old = m_status.load();
    if ((status & virtio::k_status_features_ok) && !(old & virtio::k_status_features_ok)) {
        // FEATURES_OK only if the driver accepted a subset of what we offered, with VERSION_1
        // (§2.2.2, §6.1); else the bit does not stick and the driver sees the failure.
        bool subset = (m_driver_features & ~offered_features()) == 0;
        if (!subset || !(m_driver_features & virtio::k_f_version_1))
            status = static_cast<uint8_t>(status & ~virtio::k_status_features_ok);
    }
    // The device's NEEDS_RESET survives driver writes until a reset.
    status = static_cast<uint8_t>(status | (old & virtio::k_status_needs_reset));
    m_status.store(status);
    if ((status & virtio::k_status_driver_ok) && !(old & virtio::k_status_driver_ok)
        && (status & virtio::k_status_features_ok) && !(status & virtio::k_status_failed))
        activate_locked();
}

void VirtioPciDevice::activate_locked()
{
    bool event_idx = m_driver_features & virtio::k_f_ring_event_idx;
    for (auto& queue : m_queues) {
        if (!queue.enabled())
            continue;
        // Validate every enabled queue's rings once; from here on their host views are used.
        if (auto result = queue.activate(m_memory, event_idx, [this] { set_needs_reset(); }); !result) {
            VIREO_GUEST_WARN("virtio-pci: {}", result.error().describe());
            set_needs_reset();
            return;
        }
    }
    auto result = m_device->activate(VirtioActivation {
        .memory = m_memory,
        .features = m_driver_features,
        .queues = std::span(m_queues),
        .interrupt = *m_interrupt,
    });
    if (!result) {
        VIREO_GUEST_WARN("virtio-pci: device activation failed: {}", result.error().describe());
        set_needs_reset();
        return;
    }
    m_activated = true;
}

void VirtioPciDevice::reset()
{
    std::lock_guard guard(m_lock);
    reset_locked();
}

void VirtioPciDevice::reset_locked()
{
    if (m_activated)
        m_device->reset();
    m_activated = false;
    for (auto& queue : m_queues)
        queue.reset();
    for (size_t i = 0; i < m_queues.size(); ++i)
        m_queue_vectors[i].store(k_no_vector);
    m_config_vector.store(k_no_vector);
    m_driver_features = 0;
    m_device_feature_select = m_driver_feature_select = 0;
    m_queue_select = 0;
    m_status.store(0);
    if (m_isr.exchange(0))
        set_intx_level(false);
}

void VirtioPciDevice::notify_write(uint16_t index)
{
    if (index >= m_queues.size())
        return;
    if (m_loop)
        m_notify_events[index].signal(); // handled on the event-loop thread
    else
        handle_notify(index);
}

void VirtioPciDevice::handle_notify(uint16_t index)
{
    std::lock_guard guard(m_lock);
    if (!m_activated || index >= m_queues.size() || !m_queues[index].ready())
        return;
    m_device->queue_notify(index);
}

uint8_t VirtioPciDevice::read_isr()
{
    // Reading the ISR clears it and deasserts INTx (§4.1.4.5.1).
    uint8_t isr = m_isr.exchange(0);
    if (isr)
        set_intx_level(false);
    return isr;
}

void VirtioPciDevice::raise(uint16_t vector, uint8_t isr_bit)
{
    Msix* table = msix();
    if (table->enabled()) {
        if (vector != k_no_vector)
            table->signal(vector);
        return;
    }
    m_isr.fetch_or(isr_bit);
    set_intx_level(true);
}

void VirtioPciDevice::signal_config()
{
    m_config_generation.fetch_add(1);
    raise(m_config_vector.load(), k_isr_config);
}

void VirtioPciDevice::set_needs_reset()
{
    uint8_t old = m_status.fetch_or(virtio::k_status_needs_reset);
    // Only tell a driver that is running, once (§2.1.2).
    if (!(old & virtio::k_status_needs_reset) && (old & virtio::k_status_driver_ok))
        raise(m_config_vector.load(), k_isr_config);
}

void VirtioPciDevice::bar_remapped(int bar, std::optional<uint64_t> old_address, std::optional<uint64_t> new_address)
{
    if (bar != k_notify_bar || !m_ioevents)
        return;
    if (old_address)
        unregister_notify_ioeventfds();
    if (new_address) {
        // A failed registration is not fatal: that queue's notifies still arrive as port exits.
        // The guest causes it (a BAR moved onto another device's notify port: EEXIST), and can
        // repeat it at will, so the warning is rate-limited.
        for (size_t i = 0; i < m_notify_events.size(); ++i) {
            auto result = m_ioevents->add_ioeventfd(IoEventRegistrar::Space::Pio, *new_address, k_notify_length,
                m_notify_events[i].fd(), i);
            if (!result)
                VIREO_GUEST_WARN("virtio-pci: ioeventfd: {}", result.error().describe());
        }
        m_ioevent_base = new_address;
    }
}

} // namespace vireo
