#pragma once
// A PIIX3 IDE controller on a test bench: guest RAM, a PIO bus with the compatibility ports
// and BAR4, fake IRQ lines, and sparse in-memory disks whose requests complete only when the
// test runs them. Helpers speak to the controller as a driver does, through port I/O.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "block/disk_image.h"
#include "bus/bus.h"
#include "devices/ide/piix_ide.h"
#include "memory/guest_memory.h"
#include "virtio_test_support.h"

namespace vireo::test {

// A disk of any virtual size that stores only the 512-byte sectors written to it.
class SparseDisk final : public DiskImage {
public:
    explicit SparseDisk(uint64_t size, bool read_only = false)
        : m_size(size)
        , m_read_only(read_only)
        , m_event(EventFd::create().value())
    {
    }
    [[nodiscard]] uint64_t size() const override { return m_size; }
    [[nodiscard]] bool read_only() const override { return m_read_only; }
    void submit(DiskRequest request, DiskCompletion done) override
    {
        submitted.push_back(request.op);
        m_pending.emplace_back(std::move(request), std::move(done));
        m_event.signal();
    }
    [[nodiscard]] int completion_fd() const override { return m_event.fd(); }
    void process_completions() override
    {
        m_event.consume();
        auto batch = std::exchange(m_pending, {});
        for (auto& [request, done] : batch)
            done(perform(request));
    }
    [[nodiscard]] size_t pending() const { return m_pending.size(); }

    void put(uint64_t offset, std::span<const uint8_t> data)
    {
        for (size_t i = 0; i < data.size(); ++i)
            byte(offset + i) = data[i];
    }
    [[nodiscard]] std::vector<uint8_t> get(uint64_t offset, size_t length)
    {
        std::vector<uint8_t> out(length);
        for (size_t i = 0; i < length; ++i)
            out[i] = byte(offset + i);
        return out;
    }

    std::vector<DiskOp> submitted;
    int fail_with = 0;
    int flushes = 0;

private:
    uint8_t& byte(uint64_t offset)
    {
        auto& sector = m_sectors[offset / 512];
        if (sector.empty())
            sector.resize(512);
        return sector[offset % 512];
    }
    int perform(const DiskRequest& request)
    {
        if (fail_with)
            return fail_with;
        uint64_t offset = request.offset;
        switch (request.op) {
        case DiskOp::Read:
        case DiskOp::Write:
            for (const auto& v : request.iov) {
                if (offset + v.iov_len > m_size)
                    return -EINVAL;
                auto* base = static_cast<uint8_t*>(v.iov_base);
                for (size_t i = 0; i < v.iov_len; ++i) {
                    if (request.op == DiskOp::Read)
                        base[i] = byte(offset + i);
                    else
                        byte(offset + i) = base[i];
                }
                offset += v.iov_len;
            }
            return 0;
        case DiskOp::Flush:
            ++flushes;
            return 0;
        default:
            return -EOPNOTSUPP;
        }
    }

    uint64_t m_size;
    bool m_read_only;
    EventFd m_event;
    std::map<uint64_t, std::vector<uint8_t>> m_sectors;
    std::deque<std::pair<DiskRequest, DiskCompletion>> m_pending;
};

inline std::vector<uint8_t> pattern_bytes(size_t size, uint8_t seed)
{
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size; ++i)
        data[i] = static_cast<uint8_t>(seed + i * 13 + (i >> 8));
    return data;
}

struct IdeBench {
    static constexpr uint64_t k_ram = 1 << 20;
    static constexpr uint16_t k_bm_base = 0xc000;
    static constexpr uint16_t k_primary = 0x1f0;
    static constexpr uint16_t k_primary_control = 0x3f6;
    static constexpr uint16_t k_secondary = 0x170;

    explicit IdeBench(std::array<IdeDriveSpec, k_ide_positions> drives)
        : memory(make_memory())
        , loop(EventLoop::create().value())
        , mmio("mmio")
        , pio("pio")
    {
        auto created = PiixIde::create(memory, *loop, irq14, irq15, drives);
        EXPECT_TRUE(created) << (created ? "" : created.error().describe());
        ide = *created;
        EXPECT_TRUE(ide->attach_compat_ports(pio));
        ide->attach_buses(mmio, pio);
        ide->set_bar_address(PiixIde::k_bus_master_bar, k_bm_base);
        ide->set_command(pci::k_command_io | pci::k_command_bus_master);
        for (auto& spec : drives) {
            if (spec.image)
                images.push_back(spec.image);
        }
    }

    static GuestMemory make_memory()
    {
        std::array<GuestRegionSpec, 1> specs { GuestRegionSpec { 0, k_ram } };
        return GuestMemory::create(specs).value();
    }

    uint8_t inb(uint16_t port)
    {
        uint8_t value = 0;
        pio.read(port, std::span(&value, 1));
        return value;
    }
    void outb(uint16_t port, uint8_t value) { pio.write(port, std::span(&value, 1)); }
    uint16_t inw(uint16_t port)
    {
        std::array<uint8_t, 2> b {};
        pio.read(port, b);
        return static_cast<uint16_t>(b[0] | b[1] << 8);
    }
    void outl(uint16_t port, uint32_t value)
    {
        std::array<uint8_t, 4> b {};
        std::memcpy(b.data(), &value, 4);
        pio.write(port, b);
    }
    // rep insw / rep outsw: one batch through Bus::read_string.
    std::vector<uint8_t> insw(uint16_t port, size_t words)
    {
        std::vector<uint8_t> data(words * 2);
        pio.read_string(port, 2, data);
        return data;
    }
    void outsw(uint16_t port, std::span<const uint8_t> data) { pio.write_string(port, 2, data); }

    // Runs the images' completions until none is left (a completion may submit more).
    void complete_io()
    {
        for (int round = 0; round < 1000; ++round) {
            bool any = false;
            for (auto& image : images) {
                auto* sparse = dynamic_cast<SparseDisk*>(image.get());
                if (sparse && sparse->pending()) {
                    sparse->process_completions();
                    any = true;
                }
            }
            if (!any)
                return;
        }
    }

    // Task file for an LBA28 command to `unit` of the primary channel.
    void lba28(uint8_t unit, uint32_t lba, uint8_t count, uint8_t command, uint16_t base = k_primary)
    {
        outb(base + 6, static_cast<uint8_t>(0xe0 | (unit << 4) | ((lba >> 24) & 0x0f)));
        outb(base + 2, count);
        outb(base + 3, static_cast<uint8_t>(lba));
        outb(base + 4, static_cast<uint8_t>(lba >> 8));
        outb(base + 5, static_cast<uint8_t>(lba >> 16));
        outb(base + 7, command);
    }
    void lba48(uint8_t unit, uint64_t lba, uint16_t count, uint8_t command, uint16_t base = k_primary)
    {
        outb(base + 6, static_cast<uint8_t>(0x40 | (unit << 4)));
        outb(base + 2, static_cast<uint8_t>(count >> 8));
        outb(base + 3, static_cast<uint8_t>(lba >> 24));
        outb(base + 4, static_cast<uint8_t>(lba >> 32));
        outb(base + 5, static_cast<uint8_t>(lba >> 40));
        outb(base + 2, static_cast<uint8_t>(count));
        outb(base + 3, static_cast<uint8_t>(lba));
        outb(base + 4, static_cast<uint8_t>(lba >> 8));
        outb(base + 5, static_cast<uint8_t>(lba >> 16));
        outb(base + 7, command);
    }

    // Writes a PRD table: entries {address, count, eot}.
    struct Prd {
        uint32_t address;
        uint32_t count; // 0x10000 and 0 both write 0 (64 KiB)
        bool eot;
    };
    void write_prd(uint64_t table, const std::vector<Prd>& entries)
    {
        for (size_t i = 0; i < entries.size(); ++i) {
            uint64_t at = table + 8 * i;
            ASSERT_TRUE(memory.write_obj<uint32_t>(at, entries[i].address));
            ASSERT_TRUE(memory.write_obj<uint16_t>(at + 4, static_cast<uint16_t>(entries[i].count)));
            ASSERT_TRUE(memory.write_obj<uint16_t>(at + 6, entries[i].eot ? 0x8000 : 0));
        }
    }
    // Programs the primary bus master (table, direction) without starting it.
    void bm_setup(uint32_t table, bool to_memory, uint16_t bm = k_bm_base)
    {
        outl(bm + 4, table);
        outb(bm + 2, 0x06); // clear Error and Interrupt
        outb(bm, to_memory ? 0x08 : 0x00);
    }
    void bm_start(bool to_memory, uint16_t bm = k_bm_base) { outb(bm, to_memory ? 0x09 : 0x01); }
    uint8_t bm_status(uint16_t bm = k_bm_base) { return inb(bm + 2); }

    std::vector<uint8_t> ram(uint64_t address, size_t length)
    {
        std::vector<uint8_t> out(length);
        EXPECT_TRUE(memory.read(address, out));
        return out;
    }

    GuestMemory memory;
    std::unique_ptr<EventLoop> loop;
    Bus mmio;
    Bus pio;
    std::shared_ptr<FakeInterruptLine> irq14 = std::make_shared<FakeInterruptLine>();
    std::shared_ptr<FakeInterruptLine> irq15 = std::make_shared<FakeInterruptLine>();
    std::shared_ptr<PiixIde> ide;
    std::vector<std::shared_ptr<DiskImage>> images;
};

inline IdeDriveSpec disk_spec(std::shared_ptr<DiskImage> image)
{
    return IdeDriveSpec { .kind = IdeMedia::Disk, .image = std::move(image) };
}

inline IdeDriveSpec cdrom_spec(std::shared_ptr<DiskImage> image)
{
    return IdeDriveSpec { .kind = IdeMedia::Cdrom, .image = std::move(image), .read_only = true };
}

} // namespace vireo::test
