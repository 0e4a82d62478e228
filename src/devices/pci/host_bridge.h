#pragma once
// The host bridge at 00:00.0. Linux on `pc` expects an Intel 440FX (8086:1237, class 0x0600).
// The PAM registers 0x59-0x5f store what is written (SeaBIOS unlocks shadow RAM through them).
#include "devices/pci/pci_device.h"

namespace vireo {

class PciHostBridge final : public PciDevice {
public:
    PciHostBridge()
        : PciDevice(PciIds { .vendor = 0x8086, .device = 0x1237, .class_code = 0x06'00'00, .revision = 2 })
    {
        for (uint16_t pam = 0x59; pam <= 0x5f; ++pam)
            make_writable(pam);
    }

protected:
    void bar_read(int, uint64_t, std::span<uint8_t> data) override { std::ranges::fill(data, 0xff); }
    void bar_write(int, uint64_t, std::span<const uint8_t>) override { }

private:
    void make_writable(uint16_t offset) { mark_writable(offset, 0xff); }
};

} // namespace vireo
