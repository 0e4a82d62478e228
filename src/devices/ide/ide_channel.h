#pragma once
// One IDE channel (cable): up to two devices (0 "master", 1 "slave") behind shared command
// block and control registers, the channel's INTRQ wire, and its SFF-8038i bus master.
//
// Register semantics (ATA/ATAPI-6 §9.16 and ATA8-ACS §6.2):
// - writes to the command block go to both devices (each latches its own copy); reads come
//   from the device selected by the DEV bit;
// - a selected device that is absent while the other is present: Status and Alternate Status
//   read 00h, other registers read as the present device's, commands other than EXECUTE
//   DEVICE DIAGNOSTIC are ignored;
// - a channel without devices reads 7Fh everywhere (the host's pull-down on DD7, nothing
//   driving the others);
// - INTRQ follows the selected device's interrupt request, unless its nIEN is set; reading
//   Status (not Alternate Status) or writing a command clears the request;
// - SRST in Device Control resets both devices while set; on release they show their
//   signatures and device 0 is selected.
//
// Threads: one mutex per channel. Register accesses come from vCPU threads; disk completions
// run on the event loop (the images' completion fds, watched by attach()) and take the lock.
#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <variant>
#include <vector>

#include "base/event_loop.h"
#include "base/result.h"
#include "bus/interrupt.h"
#include "devices/ide/ata_disk.h"
#include "devices/ide/atapi_cdrom.h"
#include "devices/ide/bus_master.h"
#include "memory/guest_memory.h"

namespace vireo {

class IdeChannel final : public IdeDriveHost {
public:
    using DriveState = std::variant<std::monostate, AtaDisk::State, AtapiCdrom::State>;
    struct State {
        std::array<DriveState, 2> drives;
        unsigned selected = 0;
        bool reset_asserted = false;
        BusMaster::State bus_master;
    };

    // `bus_master_enabled` answers whether the PCI function may master the bus now.
    IdeChannel(const GuestMemory& memory, std::shared_ptr<InterruptLine> irq, std::function<bool()> bus_master_enabled);
    ~IdeChannel() override;
    IdeChannel(const IdeChannel&) = delete;
    IdeChannel& operator=(const IdeChannel&) = delete;

    // Set-up: puts a device at `unit` (`position` = channel * 2 + unit names it); then attach()
    // watches the images' completion fds on the loop (before the loop runs, or on its thread).
    [[nodiscard]] Result<void> add_drive(unsigned unit, unsigned position, const IdeDriveSpec& spec);
    [[nodiscard]] Result<void> attach(EventLoop& loop);

    // Command block (offsets 0-7): the data register at offset 0 moves data.size() bytes,
    // whatever the width (a whole string-I/O batch at once); other offsets are byte registers.
    void read_command_block(uint64_t offset, std::span<uint8_t> data);
    void write_command_block(uint64_t offset, std::span<const uint8_t> data);
    // Control block: Alternate Status / Device Control.
    void read_control(std::span<uint8_t> data);
    void write_control(std::span<const uint8_t> data);
    // This channel's 8 bus-master registers.
    void read_bus_master(uint64_t offset, std::span<uint8_t> data);
    void write_bus_master(uint64_t offset, std::span<const uint8_t> data);

    // Host control of a CD-ROM at `unit` (event-loop thread); errors if there is none.
    [[nodiscard]] Result<void> eject(unsigned unit, bool force);
    [[nodiscard]] Result<void> change_medium(unsigned unit, std::shared_ptr<DiskImage> image, bool force);
    [[nodiscard]] Result<void> set_tray_callback(unsigned unit, AtapiCdrom::TrayCallback callback);
    [[nodiscard]] IdeMedia drive_kind(unsigned unit) const;
    // Runs `f` on the drive at `unit` under the channel lock (tests and QMP queries).
    void with_drive(unsigned unit, const std::function<void(IdeDrive*)>& f);

    // Power-on state for the devices and the bus master (a machine reset).
    void reset();
    [[nodiscard]] State save() const;
    void restore(const State& state);

    // IdeDriveHost (called by the drives with the lock held).
    void submit(DiskImage& image, DiskRequest request, std::function<void(int)> done) override;
    [[nodiscard]] Result<void> watch_image(const std::shared_ptr<DiskImage>& image) override;
    void unwatch_image(const std::shared_ptr<DiskImage>& image) override;
    void interrupt_raised(IdeDrive& drive) override;

private:
    [[nodiscard]] IdeDrive* selected() const { return m_drives[m_selected].get(); }
    [[nodiscard]] IdeDrive* other() const { return m_drives[m_selected ^ 1].get(); }
    [[nodiscard]] bool empty() const { return !m_drives[0] && !m_drives[1]; }
    [[nodiscard]] AtapiCdrom* cdrom(unsigned unit) const;
    uint8_t read_register_locked(ata::Reg reg);
    void write_register_locked(ata::Reg reg, uint8_t value);
    // After every access and completion: runs a DMA the drive waits for, sets INTRQ.
    void update_locked();
    void run_dma_locked();

    std::shared_ptr<InterruptLine> m_irq;
    std::function<bool()> m_bus_master_enabled;
    mutable std::mutex m_lock;
    std::array<std::unique_ptr<IdeDrive>, 2> m_drives;
    unsigned m_selected = 0;
    bool m_reset_asserted = false;
    bool m_irq_level = false;
    BusMaster m_bus_master;
    IdeDrive* m_mapped_dma_drive = nullptr; // whose mapped DMA transfer the bus master serves
    EventLoop* m_loop = nullptr;
    std::vector<std::shared_ptr<DiskImage>> m_watched;
    // Completions check it: a request that outlives the channel finds it expired.
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);
};

} // namespace vireo
