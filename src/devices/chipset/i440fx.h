#pragma once
// The Intel 82441FX host bridge at 00:00.0 (8086:1237, class 0x0600), as on QEMU's `pc`: Linux
// and SeaBIOS recognise the machine by it. Its PAM registers (0x59-0x5F) are handed to a hook
// that remaps the legacy BIOS area (devices/chipset/pam.h); SMRAM control (0x72) is stored.
#include <array>
#include <functional>
#include <span>

#include "devices/pci/pci_device.h"

namespace vireo {

class I440fxHostBridge final : public PciDevice {
public:
    static constexpr uint16_t k_pam0 = 0x59;
    static constexpr size_t k_pam_count = 7;
    static constexpr uint16_t k_smram = 0x72;

    // Called with the seven PAM bytes after the guest wrote any of them (under the config lock).
    using PamHook = std::function<void(std::span<const uint8_t, k_pam_count>)>;

    explicit I440fxHostBridge(std::array<uint8_t, k_pam_count> pam = {}, PamHook on_pam = {});

protected:
    void bar_read(int, uint64_t, std::span<uint8_t> data) override { std::ranges::fill(data, 0xff); }
    void bar_write(int, uint64_t, std::span<const uint8_t>) override { }
    void config_written(uint16_t offset, size_t size) override;

private:
    PamHook m_on_pam;
};

} // namespace vireo
