#include "devices/virtio/net/virtio_net.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstddef>
#include <cstring>

#include "base/log.h"
#include "config/vm_config.h"
#include "devices/virtio/queue_run.h"

namespace vireo {

using namespace virtio_net;

Result<std::unique_ptr<VirtioNet>> VirtioNet::create(std::vector<std::unique_ptr<NetBackend>> backends, VirtioNetOptions options)
{
    if (backends.empty())
        return make_error("virtio-net: no network back end");
    if (backends.size() > 64)
        return make_error("virtio-net: {} queue pairs is too many", backends.size());
    bool vnet = backends.front()->has_vnet_header();
    for (const auto& backend : backends)
        if (!backend || backend->has_vnet_header() != vnet)
            return make_error("virtio-net: back-end queues disagree on the vnet header");
    auto wake = TRY(EventFd::create());
    return std::unique_ptr<VirtioNet>(new VirtioNet(std::move(backends), options, std::move(wake)));
}

VirtioNet::VirtioNet(std::vector<std::unique_ptr<NetBackend>> backends, VirtioNetOptions options, EventFd wake)
    : m_options(options)
    , m_wake(std::move(wake))
{
    if (m_options.queue_size < 2)
        m_options.queue_size = 2;
    m_vnet_backend = backends.front()->has_vnet_header();
    m_pairs.resize(backends.size());
    for (size_t i = 0; i < backends.size(); ++i) {
        auto pair = static_cast<uint16_t>(i);
        m_pairs[i].backend = std::move(backends[i]);
        m_pairs[i].frame.resize(k_max_net_frame);
        m_pairs[i].backend->set_receive_handler([this, pair] { backend_readable(pair); });
    }

    m_features = k_f_mac | k_f_status | k_f_mrg_rxbuf;
    // Offloads only when the back end carries the header that describes them (tap).
    if (m_vnet_backend)
        m_features |= k_f_csum | k_f_guest_csum | k_f_host_tso4 | k_f_host_tso6 | k_f_guest_tso4 | k_f_guest_tso6;
    if (m_pairs.size() > 1)
        m_features |= k_f_ctrl_vq | k_f_mq;

    std::memcpy(m_config.mac, m_options.mac.data(), 6);
    m_config.status = k_s_link_up;
    m_config.max_virtqueue_pairs = static_cast<uint16_t>(m_pairs.size());
    m_config.mtu = 1500;
}

VirtioNet::~VirtioNet()
{
    if (m_loop)
        m_loop->remove(m_wake.fd());
    for (auto& pair : m_pairs) {
        pair.backend->set_receive_enabled(false);
        pair.backend->set_receive_handler(nullptr);
    }
}

Result<void> VirtioNet::attach(EventLoop& loop)
{
    TRY(loop.add(m_wake.fd(), EPOLLIN, [this](uint32_t) { process_events(); }));
    m_loop = &loop;
    return {};
}

uint16_t VirtioNet::num_queues() const
{
    auto pairs = static_cast<uint16_t>(m_pairs.size());
    return static_cast<uint16_t>(2 * pairs + (pairs > 1 ? 1 : 0));
}

uint16_t VirtioNet::active_queue_pairs() const
{
    std::lock_guard lock(m_lock);
    return m_active ? m_active_pairs : 0;
}

void VirtioNet::read_config(uint32_t offset, std::span<uint8_t> data)
{
    std::lock_guard lock(m_lock);
    auto bytes = std::span(reinterpret_cast<const uint8_t*>(&m_config), sizeof(m_config));
    std::fill(data.begin(), data.end(), 0);
    if (offset >= bytes.size())
        return;
    std::memcpy(data.data(), bytes.data() + offset, std::min<size_t>(data.size(), bytes.size() - offset));
}

Result<void> VirtioNet::activate(VirtioActivation activation)
{
    std::lock_guard lock(m_lock);
    if (activation.queues.size() < 2 * m_pairs.size())
        return make_error("virtio-net: {} queues given, {} needed", activation.queues.size(), 2 * m_pairs.size());
    m_negotiated = activation.features;
    m_header_size = (m_negotiated & (virtio::k_f_version_1 | k_f_mrg_rxbuf)) ? k_header_size : k_legacy_header_size;
    NetOffloads offloads {
        .csum = (m_negotiated & k_f_guest_csum) != 0,
        .tso4 = (m_negotiated & k_f_guest_tso4) != 0,
        .tso6 = (m_negotiated & k_f_guest_tso6) != 0,
        .ecn = (m_negotiated & k_f_guest_ecn) != 0,
    };
    for (auto& pair : m_pairs)
        TRY(pair.backend->set_offloads(offloads));
    m_queues = activation.queues;
    m_interrupt = &activation.interrupt;
    m_pushed.reset(m_queues.size());
    m_active_pairs = 1; // until VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (virtio 1.2 §5.1.6.5.5)
    m_active = true;
    m_wake.signal(); // the loop thread turns receiving on
    return {};
}

void VirtioNet::reset()
{
    std::lock_guard lock(m_lock);
    m_active = false;
    m_queues = {};
    m_interrupt = nullptr;
    m_pushed.clear();
    for (auto& pair : m_pairs) {
        pair.frame_length = 0;
        pair.reserved.clear();
        pair.reserved_bytes = 0;
    }
    m_wake.signal(); // the loop thread turns receiving off
}

void VirtioNet::process_events()
{
    std::lock_guard lock(m_lock);
    m_wake.consume();
    update_receiving();
    if (!m_active)
        return;
    for (uint16_t i = 0; i < m_active_pairs; ++i)
        process_rx(i);
    flush_notifications();
}

void VirtioNet::update_receiving()
{
    for (uint16_t i = 0; i < m_pairs.size(); ++i) {
        VirtQueue* rx = queue(static_cast<uint16_t>(2 * i));
        bool wanted = m_active && i < m_active_pairs && rx && rx->ready();
        if (!wanted)
            set_receiving(i, false);
        else if (m_pairs[i].frame_length == 0)
            set_receiving(i, true);
    }
}

void VirtioNet::set_receiving(uint16_t pair, bool receiving)
{
    if (m_pairs[pair].receiving == receiving)
        return;
    m_pairs[pair].receiving = receiving;
    m_pairs[pair].backend->set_receive_enabled(receiving);
}

VirtQueue* VirtioNet::queue(uint16_t index)
{
    if (!m_active || index >= m_queues.size())
        return nullptr;
    return &m_queues[index];
}

void VirtioNet::queue_notify(uint16_t queue_index)
{
    std::lock_guard lock(m_lock);
    if (!m_active)
        return;
    auto pairs = static_cast<uint16_t>(m_pairs.size());
    if (queue_index < 2 * pairs) {
        uint16_t pair = queue_index / 2;
        if (queue_index % 2 == 1)
            process_tx(pair);
        else if (pair < m_active_pairs)
            process_rx(pair); // the guest added receive buffers
    } else if (queue_index == 2 * pairs && (m_negotiated & k_f_ctrl_vq)) {
        process_ctrl();
    }
    flush_notifications();
}

void VirtioNet::backend_readable(uint16_t pair)
{
    std::lock_guard lock(m_lock);
    if (!m_active || pair >= m_active_pairs) {
        set_receiving(pair, false);
        return;
    }
    process_rx(pair);
    flush_notifications();
}

void VirtioNet::process_tx(uint16_t pair)
{
    VirtQueue* tx = queue(static_cast<uint16_t>(2 * pair + 1));
    if (!tx || !tx->ready())
        return;
    Pair& state = m_pairs[pair];
    QueueRun run(*tx, *m_interrupt);
    do {
        tx->disable_notification();
        while (auto chain = run.pop()) {
            uint64_t length = chain->readable_length();
            if (length < m_header_size || length - m_header_size > k_max_net_frame) {
                VIREO_GUEST_WARN("virtio-net: dropping a transmit chain of {} bytes", length);
            } else if (!m_vnet_backend) {
                auto iov = chain->readable_iovecs(m_header_size);
                if (auto sent = state.backend->send(iov); !sent)
                    VIREO_GUEST_WARN("virtio-net: send: {}", sent.error().describe());
            } else if (m_header_size == sizeof(VirtioNetHeader)) {
                // The guest's header is tap's header: pass the chain through as it is.
                auto iov = chain->readable_iovecs();
                if (auto sent = state.backend->send(iov); !sent)
                    VIREO_GUEST_WARN("virtio-net: send: {}", sent.error().describe());
            } else {
                VirtioNetHeader header {};
                (void)chain->read_from(0, std::span(reinterpret_cast<uint8_t*>(&header), m_header_size));
                auto iov = chain->readable_iovecs(m_header_size);
                iov.insert(iov.begin(), iovec { &header, sizeof(header) });
                if (auto sent = state.backend->send(iov); !sent)
                    VIREO_GUEST_WARN("virtio-net: send: {}", sent.error().describe());
            }
            tx->push(*chain, 0);
            m_pushed.mark(2 * pair + 1);
        }
        if (run.yielded())
            return; // the next run comes from the loop; notifications stay off meanwhile
    } while (tx->ready() && tx->enable_notification());
}

void VirtioNet::process_rx(uint16_t pair)
{
    VirtQueue* rx = queue(static_cast<uint16_t>(2 * pair));
    if (!rx || !rx->ready()) {
        set_receiving(pair, false);
        return;
    }
    Pair& state = m_pairs[pair];
    // Chains of one run, at most a ring's worth; a back end or driver that always has more
    // continues on the loop's next turn.
    QueueRun run(*rx, *m_interrupt);
    while (true) {
        if (state.frame_length == 0 && receives_direct()) {
            Direct outcome = receive_direct(pair, run);
            if (outcome == Direct::Delivered)
                continue;
            if (outcome == Direct::Empty)
                break;
            if (outcome == Direct::Starved) {
                // Stop reading the back end until the guest adds buffers (pop() on the empty
                // ring armed the notification) or the next run (the budget ran out).
                set_receiving(pair, false);
                return;
            }
            // Direct::Unsuitable: the guest's buffers cannot take a largest frame now; read this
            // frame aside and deliver it if it fits.
        }
        if (state.frame_length == 0) {
            auto received = state.backend->receive(state.frame);
            if (!received) {
                log_warn("virtio-net: receive: {}", received.error().describe());
                break;
            }
            if (*received == 0)
                break;
            state.frame_length = *received;
            if (m_vnet_backend && state.frame_length < sizeof(VirtioNetHeader)) {
                state.frame_length = 0;
                continue;
            }
        }
        if (!deliver(pair, run)) {
            set_receiving(pair, false); // as above: the frame stays pending
            return;
        }
    }
    set_receiving(pair, true);
}

VirtioNet::Reserve VirtioNet::reserve_buffers(uint16_t pair, uint64_t needed, QueueRun& run)
{
    VirtQueue& rx = m_queues[2 * pair];
    Pair& state = m_pairs[pair];
    bool mergeable = m_negotiated & k_f_mrg_rxbuf;
    // One chain, or as many as it takes with MRG_RXBUF (virtio 1.2 §5.1.6.3.1).
    while (state.reserved.empty() || (mergeable && state.reserved_bytes < needed)) {
        auto chain = run.pop();
        if (!chain) {
            if (run.yielded())
                return Reserve::Starved; // the next run carries on with the chains reserved so far
            return state.reserved.size() >= rx.size() ? Reserve::RingTooSmall : Reserve::Starved;
        }
        if (chain->writable_length() == 0) {
            VIREO_GUEST_WARN("virtio-net: receive chain without a writable buffer");
            rx.push(*chain, 0);
            m_pushed.mark(2 * pair);
            continue;
        }
        state.reserved_bytes += chain->writable_length();
        state.reserved.push_back(std::move(*chain));
    }
    return Reserve::Enough;
}

bool VirtioNet::receives_direct() const
{
    // Straight into the guest's buffers when they are mergeable (so that a largest frame can
    // always be covered) and the back end's header, if any, is the guest's header.
    return (m_negotiated & k_f_mrg_rxbuf) && (!m_vnet_backend || m_header_size == sizeof(VirtioNetHeader));
}

VirtioNet::Direct VirtioNet::receive_direct(uint16_t pair, QueueRun& run)
{
    Pair& state = m_pairs[pair];
    // Room for the largest frame first: the back end truncates what does not fit, and a frame
    // cannot be put back.
    uint64_t payload_room = k_max_net_frame - sizeof(VirtioNetHeader);
    switch (reserve_buffers(pair, m_header_size + payload_room, run)) {
    case Reserve::Enough:
        break;
    case Reserve::Starved:
        // Some buffers but not that many (a driver that posts a few at a time, or one that is
        // behind): the frame may still fit them, so read it and see. Not when the run's budget
        // ran out: the next run carries on.
        return state.reserved.empty() || run.yielded() ? Direct::Starved : Direct::Unsuitable;
    case Reserve::RingTooSmall:
        return Direct::Unsuitable;
    }
    // A back end without a vnet header fills the buffers after the guest's header, which the
    // device writes below.
    uint64_t header_skip = m_vnet_backend ? 0 : m_header_size;
    if (state.reserved.front().writable_length() < m_header_size)
        return Direct::Unsuitable; // §5.1.6.3.1 asks for room for the header in each buffer
    std::vector<iovec> iov;
    for (const auto& chain : state.reserved) {
        auto parts = chain.writable_iovecs(&chain == &state.reserved.front() ? header_skip : 0);
        iov.insert(iov.end(), parts.begin(), parts.end());
    }
    if (iov.size() > IOV_MAX)
        return Direct::Unsuitable;

    auto received = state.backend->receive_into(iov);
    if (!received) {
        log_warn("virtio-net: receive: {}", received.error().describe());
        return Direct::Empty;
    }
    if (*received == 0)
        return Direct::Empty;
    if (m_vnet_backend && *received < sizeof(VirtioNetHeader))
        return Direct::Delivered; // nothing to deliver; the buffers stay reserved
    uint64_t length = header_skip + *received;
    uint16_t buffers = buffers_for(pair, length);
    if (m_vnet_backend) {
        // tap leaves num_buffers alone (it is not part of its header): fill it in.
        uint8_t count[2] = { static_cast<uint8_t>(buffers), static_cast<uint8_t>(buffers >> 8) };
        (void)state.reserved.front().write_to(offsetof(VirtioNetHeader, num_buffers), count);
    } else {
        VirtioNetHeader header { .num_buffers = buffers };
        (void)state.reserved.front().write_to(0, std::span(reinterpret_cast<const uint8_t*>(&header), m_header_size));
    }
    publish_frame(pair, length, buffers);
    return Direct::Delivered;
}

uint16_t VirtioNet::buffers_for(uint16_t pair, uint64_t length) const
{
    const auto& reserved = m_pairs[pair].reserved;
    size_t used = 0;
    for (uint64_t covered = 0; covered < length && used < reserved.size(); ++used)
        covered += reserved[used].writable_length();
    return static_cast<uint16_t>(used);
}

void VirtioNet::publish_frame(uint16_t pair, uint64_t length, uint16_t buffers)
{
    VirtQueue& rx = m_queues[2 * pair];
    Pair& state = m_pairs[pair];
    // All buffers of the frame become visible to the driver at once: a driver that saw the
    // first (with num_buffers) before the rest would take the rest for new frames.
    for (size_t i = 0; i < buffers; ++i) {
        uint64_t capacity = state.reserved[i].writable_length();
        auto written = static_cast<uint32_t>(std::min(capacity, length));
        length -= written;
        state.reserved_bytes -= capacity;
        rx.add_used(state.reserved[i], written);
    }
    rx.publish_used();
    state.reserved.erase(state.reserved.begin(), state.reserved.begin() + buffers);
    m_pushed.mark(2 * pair);
}

bool VirtioNet::deliver(uint16_t pair, QueueRun& run)
{
    Pair& state = m_pairs[pair];
    bool mergeable = m_negotiated & k_f_mrg_rxbuf;

    // The guest-facing header: the back end's (tap) or a plain one; payload follows.
    VirtioNetHeader header {};
    std::span<const uint8_t> payload(state.frame.data(), state.frame_length);
    if (m_vnet_backend) {
        std::memcpy(&header, state.frame.data(), sizeof(header));
        payload = payload.subspan(sizeof(header));
    }
    uint64_t needed = m_header_size + payload.size();

    switch (reserve_buffers(pair, needed, run)) {
    case Reserve::Enough:
        break;
    case Reserve::Starved:
        return false;
    case Reserve::RingTooSmall:
        VIREO_GUEST_WARN("virtio-net: dropping a {}-byte frame larger than the receive queue", needed);
        state.frame_length = 0;
        return true;
    }
    if (!mergeable && state.reserved.front().writable_length() < needed) {
        VIREO_GUEST_WARN("virtio-net: dropping a {}-byte frame: receive buffer too small", needed);
        state.frame_length = 0;
        return true;
    }
    uint16_t buffers = buffers_for(pair, needed);
    header.num_buffers = buffers;

    // Header into the first buffer, then the payload across the buffers in order.
    size_t chain_index = 0;
    uint64_t chain_offset = 0;
    auto copy = [&](std::span<const uint8_t> bytes) {
        while (!bytes.empty() && chain_index < buffers) {
            const auto& chain = state.reserved[chain_index];
            size_t n = chain.write_to(chain_offset, bytes);
            chain_offset += n;
            bytes = bytes.subspan(n);
            if (chain_offset >= chain.writable_length()) {
                ++chain_index;
                chain_offset = 0;
            }
        }
    };
    copy(std::span(reinterpret_cast<const uint8_t*>(&header), m_header_size));
    copy(payload);
    publish_frame(pair, needed, buffers);
    state.frame_length = 0;
    return true;
}

void VirtioNet::process_ctrl()
{
    VirtQueue* ctrl = queue(static_cast<uint16_t>(2 * m_pairs.size()));
    if (!ctrl || !ctrl->ready())
        return;
    QueueRun run(*ctrl, *m_interrupt);
    while (auto chain = run.pop()) {
        // struct virtio_net_ctrl: u8 class, u8 command, data, then a writable u8 ack (§5.1.6.5).
        uint8_t ack = k_ctrl_err;
        std::array<uint8_t, 4> command {};
        size_t length = chain->read_from(0, command);
        if (length >= 4 && command[0] == k_ctrl_class_mq && command[1] == k_ctrl_mq_vq_pairs_set) {
            uint16_t pairs = static_cast<uint16_t>(command[2] | (command[3] << 8));
            if ((m_negotiated & k_f_mq) && pairs >= 1 && pairs <= m_pairs.size()) {
                m_active_pairs = pairs;
                ack = k_ctrl_ok;
            }
        } else {
            VIREO_GUEST_WARN("virtio-net: unsupported control command {}/{}", command[0], command[1]);
        }
        if (chain->writable_length() == 0) {
            VIREO_GUEST_WARN("virtio-net: control command without an ack byte");
            ctrl->push(*chain, 0);
        } else {
            chain->write_to(chain->writable_length() - 1, std::span(&ack, 1));
            ctrl->push(*chain, 1);
        }
        m_pushed.mark(2 * m_pairs.size());
    }
    update_receiving();
    for (uint16_t i = 0; i < m_active_pairs; ++i)
        process_rx(i);
}

void VirtioNet::flush_notifications()
{
    if (m_active)
        m_pushed.flush(m_queues, *m_interrupt);
}

Result<MacAddress> parse_mac(std::string_view text)
{
    MacAddress mac {};
    size_t position = 0;
    for (size_t i = 0; i < mac.size(); ++i) {
        if (i > 0) {
            if (position >= text.size() || text[position] != ':')
                return make_error("invalid MAC address '{}'", text);
            ++position;
        }
        if (position + 2 > text.size())
            return make_error("invalid MAC address '{}'", text);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(text.data() + position, text.data() + position + 2, value, 16);
        if (ec != std::errc() || end != text.data() + position + 2)
            return make_error("invalid MAC address '{}'", text);
        mac[i] = static_cast<uint8_t>(value);
        position += 2;
    }
    if (position != text.size())
        return make_error("invalid MAC address '{}'", text);
    if (mac[0] & 1)
        return make_error("MAC address '{}' is a multicast address", text);
    return mac;
}

Result<VirtioNetOptions> virtio_net_options(const DeviceConfig* device, uint32_t index)
{
    VirtioNetOptions options;
    options.mac[5] = static_cast<uint8_t>(options.mac[5] + index);
    if (!device)
        return options;
    if (auto it = device->properties.find("mac"); it != device->properties.end())
        options.mac = TRY(parse_mac(it->second));
    if (auto it = device->properties.find("queue-size"); it != device->properties.end()) {
        unsigned size = 0;
        auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), size);
        if (ec != std::errc() || end != it->second.data() + it->second.size() || size < 2 || size > 1024 || (size & (size - 1)))
            return make_error("virtio-net: invalid queue-size={}", it->second);
        options.queue_size = static_cast<uint16_t>(size);
    }
    return options;
}

} // namespace vireo
