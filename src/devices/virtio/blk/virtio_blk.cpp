#include "devices/virtio/blk/virtio_blk.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "base/log.h"
#include "config/vm_config.h"
#include "devices/virtio/queue_run.h"

namespace vireo {

using namespace virtio_blk;

namespace {

// Per-segment limits we advertise: 2 GiB - 512 bytes per discard/write-zeroes segment.
constexpr uint32_t k_max_zero_discard_sectors = (1U << 22) - 1;
constexpr uint32_t k_max_zero_discard_segments = 16;

} // namespace

VirtioBlk::VirtioBlk(std::unique_ptr<DiskImage> disk, VirtioBlkOptions options)
    : m_disk(std::move(disk))
    , m_options(std::move(options))
{
    if (m_options.num_queues == 0)
        m_options.num_queues = 1;
    if (m_options.queue_size < 4)
        m_options.queue_size = 4;
    if (m_options.logical_block_size < k_sector_size || (m_options.logical_block_size & (m_options.logical_block_size - 1)))
        m_options.logical_block_size = k_sector_size;
    bool read_only = m_options.read_only || m_disk->read_only();
    bool discard = m_options.discard && m_disk->supports_discard() && !read_only;

    m_features = k_f_seg_max | k_f_blk_size | k_f_flush;
    if (read_only)
        m_features |= k_f_ro;
    else
        m_features |= k_f_write_zeroes;
    if (discard)
        m_features |= k_f_discard;
    if (m_options.num_queues > 1)
        m_features |= k_f_mq;

    uint32_t block_sectors = m_options.logical_block_size / k_sector_size;
    m_config.capacity = m_disk->size() / k_sector_size;
    m_config.seg_max = m_options.queue_size - 2u;
    m_config.blk_size = m_options.logical_block_size;
    m_config.num_queues = m_options.num_queues;
    m_config.max_discard_sectors = discard ? k_max_zero_discard_sectors : 0;
    m_config.max_discard_seg = discard ? k_max_zero_discard_segments : 0;
    m_config.discard_sector_alignment = block_sectors;
    m_config.max_write_zeroes_sectors = read_only ? 0 : k_max_zero_discard_sectors;
    m_config.max_write_zeroes_seg = read_only ? 0 : k_max_zero_discard_segments;
    m_config.write_zeroes_may_unmap = discard ? 1 : 0;
}

VirtioBlk::~VirtioBlk()
{
    if (m_loop) {
        m_loop->remove(m_disk->completion_fd());
        if (m_poll_timer)
            m_loop->remove(m_poll_timer->fd());
    }
}

Result<void> VirtioBlk::attach(EventLoop& loop)
{
    auto timer = TRY(TimerFd::create());
    TRY(loop.add(m_disk->completion_fd(), EPOLLIN, [this](uint32_t) { process_completions(); }));
    if (auto added = loop.add(timer.fd(), EPOLLIN, [this](uint32_t) { poll_timeout(); }); !added) {
        loop.remove(m_disk->completion_fd());
        return std::unexpected(added.error());
    }
    m_poll_timer = std::move(timer);
    m_loop = &loop;
    return {};
}

size_t VirtioBlk::in_flight() const
{
    std::lock_guard lock(m_lock);
    return m_in_flight;
}

size_t VirtioBlk::stale_in_flight() const
{
    std::lock_guard lock(m_lock);
    return m_stale_in_flight;
}

void VirtioBlk::read_config(uint32_t offset, std::span<uint8_t> data)
{
    std::lock_guard lock(m_lock);
    auto bytes = std::span(reinterpret_cast<const uint8_t*>(&m_config), sizeof(m_config));
    std::fill(data.begin(), data.end(), 0);
    if (offset >= bytes.size())
        return;
    size_t length = std::min<size_t>(data.size(), bytes.size() - offset);
    std::memcpy(data.data(), bytes.data() + offset, length);
}

Result<void> VirtioBlk::activate(VirtioActivation activation)
{
    std::lock_guard lock(m_lock);
    if (activation.queues.size() < m_options.num_queues)
        return make_error("virtio-blk: {} queues given, {} needed", activation.queues.size(), m_options.num_queues);
    m_queues = activation.queues.first(m_options.num_queues);
    m_interrupt = &activation.interrupt;
    m_limits = BlkLimits {
        .capacity_sectors = m_config.capacity,
        .read_only = (m_features & k_f_ro) != 0,
        .discard = (activation.features & k_f_discard) != 0,
        .write_zeroes = (activation.features & k_f_write_zeroes) != 0,
        .max_discard_sectors = m_config.max_discard_sectors,
        .max_discard_seg = m_config.max_discard_seg,
        .max_write_zeroes_sectors = m_config.max_write_zeroes_sectors,
        .max_write_zeroes_seg = m_config.max_write_zeroes_seg,
    };
    m_pushed.reset(m_options.num_queues);
    m_queue_rw_in_flight.assign(m_options.num_queues, 0);
    m_polled.assign(m_options.num_queues, false);
    m_active = true;
    return {};
}

void VirtioBlk::reset()
{
    std::lock_guard lock(m_lock);
    // Requests still in the image finish into guest RAM (which stays mapped) but are never
    // pushed: the generation check in on_disk_done drops them. Until then they stay counted.
    m_active = false;
    ++m_generation;
    m_queues = {};
    m_interrupt = nullptr;
    m_pushed.clear();
    m_stale_in_flight += m_in_flight;
    m_in_flight = 0;
    m_queue_rw_in_flight.clear();
    m_polled.clear();
}

void VirtioBlk::queue_notify(uint16_t queue_index)
{
    std::lock_guard lock(m_lock);
    if (!m_active || queue_index >= m_queues.size() || !m_queues[queue_index].ready())
        return;
    drain_queue(queue_index);
    flush_notifications();
}

void VirtioBlk::drain_queue(uint16_t queue_index)
{
    VirtQueue& queue = m_queues[queue_index];
    // The whole drain goes to the host in one submission (one io_uring_enter), of at most a
    // ring's worth of chains: then the run yields the loop and queue_notify() comes again.
    DiskBatch batch(*m_disk);
    QueueRun run(queue, *m_interrupt);
    for (;;) {
        // virtio 1.2 §2.7.10: notifications stay off while the ring is drained.
        queue.disable_notification();
        bool full = at_capacity();
        while (!full) {
            auto chain = run.pop();
            if (!chain)
                break;
            handle_chain(queue_index, std::move(*chain));
            full = at_capacity();
        }
        if (run.yielded())
            return;
        // While reads or writes of this queue are in flight, their completions come soon and
        // process_completions() looks at the ring again, so the driver need not notify: each
        // notification the guest saves is a VM exit. A new request waits at most until the
        // next completion, or the backstop timer if the disk is slow. With nothing in flight
        // notifications go back on; then re-check for chains that came meanwhile. At capacity
        // (stale requests of before a reset fill the image) the ring waits for completions too.
        m_polled[queue_index] = queue.ready() && (full || m_queue_rw_in_flight[queue_index] >= k_poll_min_in_flight);
        if (m_polled[queue_index] && m_poll_timer && !m_poll_armed) {
            m_poll_timer->arm(k_poll_backstop);
            m_poll_armed = true;
        }
        if (!queue.ready() || m_polled[queue_index] || !queue.enable_notification())
            return;
    }
}

void VirtioBlk::handle_chain(uint16_t queue_index, DescriptorChain chain)
{
    BlkRequest request = parse_blk_request(chain, m_limits);
    if (!request.has_status) {
        // No byte to report a status in: the request cannot be completed meaningfully.
        VIREO_GUEST_WARN("virtio-blk: request without a writable status byte");
        m_queues[queue_index].push(chain, 0);
        m_pushed.mark(queue_index);
        m_interrupt->set_needs_reset();
        return;
    }
    if (request.status != k_s_ok || request.disk.empty()) {
        if (request.status == k_s_ok && request.type == k_t_get_id) {
            std::array<uint8_t, k_id_bytes> id {};
            std::memcpy(id.data(), m_options.serial.data(), std::min<size_t>(m_options.serial.size(), id.size()));
            chain.write_to(0, std::span(id).first(request.data_in_length));
        }
        uint32_t data = request.status == k_s_ok ? request.data_in_length : 0;
        complete(queue_index, chain, request.status_offset, data, request.status);
        return;
    }

    auto in_flight = std::make_shared<InFlight>();
    in_flight->generation = m_generation;
    in_flight->queue = queue_index;
    in_flight->status_offset = request.status_offset;
    in_flight->data_in_length = request.data_in_length;
    in_flight->remaining = request.disk.size();
    in_flight->chain = std::move(chain);
    in_flight->read_write = request.type == k_t_in || request.type == k_t_out;
    ++m_in_flight;
    if (in_flight->read_write)
        ++m_queue_rw_in_flight[queue_index];
    for (auto& disk_request : request.disk)
        m_disk->submit(std::move(disk_request), [this, in_flight](int result) { on_disk_done(in_flight, result); });
}

void VirtioBlk::on_disk_done(const std::shared_ptr<InFlight>& request, int result)
{
    std::lock_guard lock(m_lock);
    if (result < 0) {
        request->status = k_s_ioerr;
        VIREO_GUEST_WARN("virtio-blk: disk request failed: {}", std::strerror(-result));
    }
    if (--request->remaining > 0)
        return;
    if (request->generation != m_generation) {
        --m_stale_in_flight; // the device was reset meanwhile: the chain is not the driver's any more
        return;
    }
    if (!m_active)
        return;
    --m_in_flight;
    if (request->read_write)
        --m_queue_rw_in_flight[request->queue];
    uint32_t data = request->status == k_s_ok ? request->data_in_length : 0;
    complete(request->queue, request->chain, request->status_offset, data, request->status);
}

void VirtioBlk::complete(uint16_t queue_index, const DescriptorChain& chain, uint64_t status_offset, uint32_t data_length, uint8_t status)
{
    chain.write_to(status_offset, std::span(&status, 1));
    m_queues[queue_index].push(chain, data_length + 1);
    m_pushed.mark(queue_index);
}

void VirtioBlk::flush_notifications()
{
    if (m_active)
        m_pushed.flush(m_queues, *m_interrupt);
}

void VirtioBlk::poll_timeout()
{
    std::lock_guard lock(m_lock);
    if (m_poll_timer)
        (void)m_poll_timer->consume();
    m_poll_armed = false;
    poll_rings();
    flush_notifications();
}

void VirtioBlk::poll_rings()
{
    for (uint16_t i = 0; m_active && i < m_queues.size(); ++i) {
        if (m_polled[i] && m_queues[i].ready())
            drain_queue(i);
    }
}

void VirtioBlk::process_completions()
{
    std::lock_guard lock(m_lock);
    m_disk->process_completions();
    poll_rings(); // the rings whose notifications were left off (see drain_queue)
    flush_notifications();
}

uint16_t default_blk_num_queues(uint32_t vcpus)
{
    return static_cast<uint16_t>(std::clamp<uint32_t>(vcpus, 1, 4));
}

namespace {

Result<uint32_t> parse_number(const std::string& key, const std::string& text, uint32_t min, uint32_t max)
{
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
        return make_error("virtio-blk: invalid {}={} (expected {}..{})", key, text, min, max);
    return value;
}

} // namespace

Result<VirtioBlkOptions> virtio_blk_options(const DriveConfig& drive, const DeviceConfig* device, uint32_t vcpus)
{
    VirtioBlkOptions options;
    options.serial = drive.id.substr(0, k_id_bytes);
    options.read_only = drive.read_only;
    options.discard = drive.discard;
    options.num_queues = default_blk_num_queues(vcpus);
    if (!device)
        return options;
    for (const auto& [key, value] : device->properties) {
        if (key == "num-queues") {
            options.num_queues = static_cast<uint16_t>(TRY(parse_number(key, value, 1, 64)));
        } else if (key == "queue-size") {
            uint32_t size = TRY(parse_number(key, value, 4, 1024));
            if (size & (size - 1))
                return make_error("virtio-blk: queue-size={} is not a power of two", value);
            options.queue_size = static_cast<uint16_t>(size);
        } else if (key == "serial") {
            options.serial = value.substr(0, k_id_bytes);
        } else if (key == "logical_block_size" || key == "physical_block_size") {
            uint32_t size = TRY(parse_number(key, value, 512, 4096));
            if (size != 512 && size != 1024 && size != 2048 && size != 4096)
                return make_error("virtio-blk: {}={} must be 512, 1024, 2048 or 4096", key, value);
            if (key == "logical_block_size")
                options.logical_block_size = size;
        }
        // drive=, id=, bus=, addr= and the like belong to the machine's wiring.
    }
    return options;
}

} // namespace vireo
