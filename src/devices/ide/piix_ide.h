#pragma once
// The PIIX3 IDE function (8086:7010, class 0101h prog-if 80h: both channels in compatibility
// mode, bus-master capable; revision 0), as on QEMU's `pc` machine at 00:01.1.
//
// Compatibility mode means fixed ISA resources, not BARs: primary channel at 0x1f0-0x1f7 and
// 0x3f6 on IRQ 14, secondary at 0x170-0x177 and 0x376 on IRQ 15. BAR4 is the 16-byte I/O BAR
// of the SFF-8038i bus-master registers (primary at +0, secondary at +8). Configuration
// registers 0x40-0x43 (IDETIM, primary and secondary) have their decode-enable bit 15 set at
// reset; clearing it makes the channel's legacy ports read 0xff and drop writes. 0x44
// (SIDETIM) and 0x48-0x4b (PIIX4's UDMA control and timing, which drivers may probe) store
// what is written.
//
// Wiring contract (for the machine):
//     auto ide = TRY(PiixIde::create(memory, loop, irq14, irq15, drives));
//     TRY(ide->attach_compat_ports(pio));          // 0x1f0/8, 0x3f6/1, 0x170/8, 0x376/1
//     TRY(pci_root.add_device(ide, slot 1 function 1)); // BAR4 through PciDevice's BAR machinery
// `drives[channel * 2 + unit]`; an entry with kind None is an absent device. The ports take
// string I/O in whole batches through BusDevice::read_string/write_string: give the data
// register a `rep insw` exit at once (Bus::read_string) so a sector is one call, not 256.
// Host media control (QMP eject / blockdev-change-medium) runs on the event-loop thread.
#include <array>
#include <memory>
#include <vector>

#include "base/event_loop.h"
#include "base/result.h"
#include "bus/bus.h"
#include "bus/interrupt.h"
#include "devices/ide/ide_channel.h"
#include "devices/ide/ide_drive_spec.h"
#include "devices/pci/pci_device.h"
#include "memory/guest_memory.h"

namespace vireo {

class PiixIde final : public PciDevice, public std::enable_shared_from_this<PiixIde> {
public:
    static constexpr uint16_t k_vendor = 0x8086;
    static constexpr uint16_t k_device = 0x7010;
    static constexpr uint32_t k_class = 0x01'01'80;
    static constexpr int k_bus_master_bar = 4;
    static constexpr uint16_t k_primary_command = 0x1f0;
    static constexpr uint16_t k_primary_control = 0x3f6;
    static constexpr uint16_t k_secondary_command = 0x170;
    static constexpr uint16_t k_secondary_control = 0x376;
    static constexpr uint8_t k_primary_irq = 14;
    static constexpr uint8_t k_secondary_irq = 15;
    static constexpr uint16_t k_idetim = 0x40;     // 2 bytes per channel
    static constexpr uint16_t k_idetim_decode = 0x8000;

    struct State {
        std::array<IdeChannel::State, 2> channels;
        std::array<uint8_t, 12> timing {}; // config bytes 0x40-0x4b
    };

    // Builds the function and its drives; the drives' images are watched on `loop`.
    [[nodiscard]] static Result<std::shared_ptr<PiixIde>> create(const GuestMemory& memory, EventLoop& loop,
        std::shared_ptr<InterruptLine> irq14, std::shared_ptr<InterruptLine> irq15,
        const std::array<IdeDriveSpec, k_ide_positions>& drives);

    ~PiixIde() override;

    // Registers the four compatibility-mode port ranges on the PIO bus (removed again when
    // the function is destroyed, as its BAR is).
    [[nodiscard]] Result<void> attach_compat_ports(Bus& pio);

    [[nodiscard]] IdeChannel& channel(unsigned index) { return *m_channels[index & 1]; }
    // Host media control for the CD-ROM at `position` (= channel * 2 + unit; loop thread).
    [[nodiscard]] Result<void> eject(unsigned position, bool force);
    [[nodiscard]] Result<void> change_medium(unsigned position, std::shared_ptr<DiskImage> image, bool force);
    [[nodiscard]] Result<void> set_tray_callback(unsigned position, AtapiCdrom::TrayCallback callback);

    // Power-on state of the drives and bus masters (configuration space is PciDevice's).
    void reset();
    [[nodiscard]] State save() const;
    void restore(const State& state);

    // Whether the guest left the channel's legacy ports decoded (IDETIM bit 15).
    [[nodiscard]] bool decodes(unsigned channel) const;

protected:
    void bar_read(int bar, uint64_t offset, std::span<uint8_t> data) override;
    void bar_write(int bar, uint64_t offset, std::span<const uint8_t> data) override;

private:
    PiixIde();
    class Ports;
    void detach_compat_ports();

    std::array<std::unique_ptr<IdeChannel>, 2> m_channels;
    Bus* m_compat_bus = nullptr;
    std::vector<uint16_t> m_compat_ports;
};

} // namespace vireo
