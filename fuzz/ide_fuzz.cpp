// libFuzzer target for the PIIX3 IDE controller: the input is a program of register
// accesses, whole ATA commands, ATAPI packets, PRD tables and guest-memory bytes, host media
// changes and resets, run against two channels (a disk and a CD-ROM with a disc on the
// primary, an empty CD-ROM and a read-only disk on the secondary) over 64 KiB of RAM. PRD
// addresses run past RAM on purpose. Any crash, sanitizer report, a request past the end of
// an image or a write to a read-only image is a bug.
//
// Each step is one opcode byte followed by its operands (missing bytes read as zero).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "block/disk_image.h"
#include "bus/bus.h"
#include "devices/ide/ata_spec.h"
#include "devices/ide/piix_ide.h"
#include "fuzz_guest_memory.h"
#include "memory/guest_memory.h"

using namespace vireo;

namespace {

constexpr uint64_t k_ram = 64 * 1024;
constexpr uint16_t k_bm_base = 0xc000;

// An image in memory that completes requests when the harness runs the "event loop". The
// images are made once per process (their buffers and eventfds cost more than a short input
// under ASan) and start() puts one back as new before every input: zeros, nothing in flight,
// no failures.
class MemoryDisk final : public DiskImage {
public:
    MemoryDisk(size_t size, bool read_only)
        : m_data(size)
        , m_read_only(read_only)
        , m_event(EventFd::create().value())
    {
    }
    uint64_t size() const override { return m_data.size(); }
    bool read_only() const override { return m_read_only; }
    void submit(DiskRequest request, DiskCompletion done) override { m_pending.emplace_back(std::move(request), std::move(done)); }
    int completion_fd() const override { return m_event.fd(); }
    void process_completions() override
    {
        if (m_pending.empty())
            return;
        // Completions may submit more; those wait for the next call. A swap, not a move: a
        // moved-from deque allocates a new map and node, and this runs hundreds of times an input.
        m_batch.swap(m_pending);
        for (auto& [request, done] : m_batch) {
            uint64_t offset = request.offset;
            if (m_read_only && request.op != DiskOp::Read && request.op != DiskOp::Flush)
                __builtin_trap(); // a write reached a read-only image
            for (const auto& v : request.iov) {
                if (offset > m_data.size() || v.iov_len > m_data.size() - offset)
                    __builtin_trap(); // the device let an out-of-range request through
                if (request.op == DiskOp::Read)
                    std::memcpy(v.iov_base, m_data.data() + offset, v.iov_len);
                else if (request.op == DiskOp::Write)
                    std::memcpy(m_data.data() + offset, v.iov_base, v.iov_len);
                offset += v.iov_len;
            }
            done(fail ? -5 : 0);
        }
        m_batch.clear();
    }
    void start()
    {
        if (!m_read_only)
            std::memset(m_data.data(), 0, m_data.size());
        fail = false;
    }
    // At the end of an input: what is still in flight belongs to a controller about to go.
    void drop_in_flight()
    {
        m_pending.clear();
        m_batch.clear();
    }
    bool fail = false;

private:
    std::vector<uint8_t> m_data;
    bool m_read_only;
    EventFd m_event;
    std::deque<std::pair<DiskRequest, DiskCompletion>> m_pending;
    std::deque<std::pair<DiskRequest, DiskCompletion>> m_batch;
};

struct Images {
    std::shared_ptr<MemoryDisk> disk = std::make_shared<MemoryDisk>(128 * 1024, false);
    std::shared_ptr<MemoryDisk> disc = std::make_shared<MemoryDisk>(40 * 2048, true);
    std::shared_ptr<MemoryDisk> other_disc = std::make_shared<MemoryDisk>(20 * 2048, true);
    std::shared_ptr<MemoryDisk> third_disc = std::make_shared<MemoryDisk>(3 * 2048 + 100, true); // not a whole number of sectors
    std::shared_ptr<MemoryDisk> ro_disk = std::make_shared<MemoryDisk>(64 * 1024, true);
    std::array<std::shared_ptr<MemoryDisk>, 5> all() const { return { disk, disc, other_disc, third_disc, ro_disk }; }
};

class NullLine final : public InterruptLine {
public:
    void set_level(bool) override { }
};

class Input {
public:
    Input(const uint8_t* data, size_t size)
        : m_data(data)
        , m_size(size)
    {
    }
    bool done() const { return m_position >= m_size; }
    uint8_t u8() { return m_position < m_size ? m_data[m_position++] : 0; }
    uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
    uint32_t u32() { return uint32_t { u16() } | uint32_t { u16() } << 16; }

private:
    const uint8_t* m_data;
    size_t m_size;
    size_t m_position = 0;
};

constexpr uint8_t k_commands[] = {
    ata::k_cmd_read_sectors, ata::k_cmd_read_sectors_ext, ata::k_cmd_read_multiple, ata::k_cmd_read_multiple_ext,
    ata::k_cmd_read_dma, ata::k_cmd_read_dma_ext, ata::k_cmd_write_sectors, ata::k_cmd_write_sectors_ext,
    ata::k_cmd_write_multiple, ata::k_cmd_write_multiple_ext, ata::k_cmd_write_dma, ata::k_cmd_write_dma_ext,
    ata::k_cmd_read_verify, ata::k_cmd_read_verify_ext, ata::k_cmd_seek, ata::k_cmd_flush_cache,
    ata::k_cmd_flush_cache_ext, ata::k_cmd_identify, ata::k_cmd_set_features, ata::k_cmd_set_multiple,
    ata::k_cmd_initialize_parameters, ata::k_cmd_execute_diagnostic, ata::k_cmd_packet, ata::k_cmd_identify_packet,
    ata::k_cmd_device_reset, ata::k_cmd_check_power_mode, ata::k_cmd_idle_immediate, ata::k_cmd_recalibrate,
};

constexpr uint8_t k_opcodes[] = {
    scsi::k_test_unit_ready, scsi::k_request_sense, scsi::k_inquiry, scsi::k_mode_sense_6, scsi::k_start_stop_unit,
    scsi::k_prevent_allow, scsi::k_read_capacity, scsi::k_read_10, scsi::k_seek_10, scsi::k_read_toc,
    scsi::k_get_configuration, scsi::k_get_event_status, scsi::k_read_disc_information, scsi::k_mode_sense_10,
    scsi::k_read_12, scsi::k_set_cd_speed, scsi::k_mechanism_status,
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    GuestMemory& memory = fuzz::zeroed_guest_memory<k_ram>();

    auto loop = EventLoop::create().value();
    static const Images shared_images;
    const auto images = shared_images.all();
    for (const auto& image : images)
        image->start();
    const auto& [disk, disc, other_disc, third_disc, ro_disk] = images;
    std::array<IdeDriveSpec, k_ide_positions> drives {
        IdeDriveSpec { .kind = IdeMedia::Disk, .image = disk },
        IdeDriveSpec { .kind = IdeMedia::Cdrom, .image = disc },
        IdeDriveSpec { .kind = IdeMedia::Cdrom },
        IdeDriveSpec { .kind = IdeMedia::Disk, .image = ro_disk },
    };
    Bus mmio("mmio");
    Bus pio("pio");
    auto ide = PiixIde::create(memory, *loop, std::make_shared<NullLine>(), std::make_shared<NullLine>(), drives).value();
    if (!ide->attach_compat_ports(pio))
        __builtin_trap();
    ide->attach_buses(mmio, pio);
    ide->set_bar_address(PiixIde::k_bus_master_bar, k_bm_base);
    ide->set_command(pci::k_command_io | pci::k_command_bus_master);

    auto complete = [&] {
        for (int round = 0; round < 64; ++round) {
            for (const auto& image : images)
                image->process_completions();
        }
    };
    std::vector<uint8_t> buffer;
    Input in(data, size);
    for (int step = 0; step < 512 && !in.done(); ++step) {
        uint8_t op = in.u8();
        uint16_t base = (op & 0x80) ? 0x170 : 0x1f0;
        uint16_t control = (op & 0x80) ? 0x376 : 0x3f6;
        uint16_t bm = static_cast<uint16_t>(k_bm_base + ((op & 0x80) ? 8 : 0));
        switch (op & 0x0f) {
        case 0: { // register write
            uint8_t reg = in.u8() & 7;
            uint8_t value = in.u8();
            pio.write(base + reg, std::span(&value, 1));
            break;
        }
        case 1: { // register read
            uint8_t reg = in.u8() & 7;
            uint8_t value = 0;
            pio.read(base + reg, std::span(&value, 1));
            break;
        }
        case 2: { // data read: one batch of words, or a single 1/2/4-byte access
            uint8_t shape = in.u8();
            size_t length = shape & 0x80 ? (static_cast<size_t>(shape & 0x7f) + 1) * 64 : size_t { 1 } << (shape & 3) % 3;
            buffer.assign(length, 0);
            if (shape & 0x80)
                pio.read_string(base, 2, buffer);
            else
                pio.read(base, buffer);
            break;
        }
        case 3: { // data write from the input
            size_t length = (size_t { in.u8() } + 1) * 8;
            buffer.resize(length);
            for (auto& b : buffer)
                b = in.u8();
            pio.write_string(base, 2, buffer);
            break;
        }
        case 4: { // device control
            uint8_t value = in.u8();
            pio.write(control, std::span(&value, 1));
            break;
        }
        case 5: { // bus-master register write
            uint8_t reg = in.u8() & 7;
            uint8_t value = in.u8();
            pio.write(bm + reg, std::span(&value, 1));
            break;
        }
        case 6: // event loop: disk completions
            complete();
            break;
        case 7: { // a PRD table: up to 8 entries at a RAM address
            uint16_t table = in.u16() & 0xfffc;
            uint8_t count = in.u8() % 9;
            for (uint8_t i = 0; i < count; ++i) {
                uint32_t address = in.u32() % (k_ram + 0x1000); // a little past RAM, often inside
                uint16_t bytes = in.u16();
                uint16_t flags = (i + 1 == count) ? (in.u8() & 1 ? 0 : 0x8000) : 0;
                (void)memory.write_obj<uint32_t>(table + 8u * i, address);
                (void)memory.write_obj<uint16_t>(table + 8u * i + 4, bytes);
                (void)memory.write_obj<uint16_t>(table + 8u * i + 6, flags);
            }
            uint32_t pointer = table;
            pio.write(bm + 4, std::span(reinterpret_cast<const uint8_t*>(&pointer), 4));
            uint8_t command = static_cast<uint8_t>((in.u8() & 0x08) | 0x01);
            pio.write(bm, std::span(&command, 1));
            break;
        }
        case 8: { // a whole ATA command
            uint8_t device = static_cast<uint8_t>(0xa0 | (in.u8() & 0x5f));
            pio.write(base + 6, std::span(&device, 1));
            for (uint16_t reg : { 1, 2, 3, 4, 5, 2, 3, 4, 5 }) {
                uint8_t value = in.u8();
                pio.write(base + reg, std::span(&value, 1));
            }
            uint8_t command = k_commands[in.u8() % std::size(k_commands)];
            pio.write(base + 7, std::span(&command, 1));
            break;
        }
        case 9: { // an ATAPI packet
            std::array<uint8_t, 12> cdb {};
            cdb[0] = k_opcodes[in.u8() % std::size(k_opcodes)];
            for (size_t i = 1; i < cdb.size(); ++i)
                cdb[i] = in.u8();
            uint8_t device = static_cast<uint8_t>(0xa0 | (in.u8() & 0x10));
            uint8_t features = in.u8() & 1;
            uint16_t limit = in.u16();
            pio.write(base + 6, std::span(&device, 1));
            pio.write(base + 1, std::span(&features, 1));
            uint8_t low = static_cast<uint8_t>(limit);
            uint8_t high = static_cast<uint8_t>(limit >> 8);
            pio.write(base + 4, std::span(&low, 1));
            pio.write(base + 5, std::span(&high, 1));
            uint8_t command = ata::k_cmd_packet;
            pio.write(base + 7, std::span(&command, 1));
            pio.write_string(base, 2, cdb);
            break;
        }
        case 10: { // guest memory bytes
            uint16_t address = in.u16();
            uint8_t count = in.u8() % 32;
            for (uint8_t i = 0; i < count; ++i) {
                uint8_t value = in.u8();
                (void)memory.write(uint64_t { address } + i, std::span(&value, 1));
            }
            break;
        }
        case 11: { // host media control on a CD-ROM position (1 or 2)
            uint8_t how = in.u8();
            unsigned position = how & 1 ? 1 : 2;
            if (how & 2)
                (void)ide->eject(position, how & 4);
            else
            {
                std::shared_ptr<DiskImage> image;
                if (how & 8)
                    image = position == 1 ? other_disc : third_disc;
                (void)ide->change_medium(position, std::move(image), how & 4);
            }
            break;
        }
        case 12: { // PCI configuration: command register or IDE timing
            uint8_t which = in.u8();
            uint8_t value = in.u8();
            if (which & 1)
                ide->config_write(pci::k_command, std::span(&value, 1));
            else
                ide->config_write(static_cast<uint16_t>(0x40 + (which >> 1) % 4), std::span(&value, 1));
            break;
        }
        case 13: { // I/O failures, resets, snapshots
            uint8_t what = in.u8();
            for (const auto& image : images)
                image->fail = what & 1;
            if (what & 2)
                ide->reset();
            if (what & 4)
                ide->restore(ide->save());
            break;
        }
        case 14: { // alternate status, bus-master reads
            uint8_t value = 0;
            pio.read(control, std::span(&value, 1));
            std::array<uint8_t, 8> registers {};
            pio.read(bm, registers);
            break;
        }
        default: { // a wide access anywhere in the command block
            uint8_t offset = in.u8() & 7;
            std::array<uint8_t, 4> bytes {};
            pio.read(base + offset, std::span(bytes).first(std::min<size_t>(4, 8 - offset)));
            break;
        }
        }
    }
    complete();
    for (const auto& image : images)
        image->drop_in_flight();
    return 0;
}
