#include "devices/chipset/i440fx.h"

namespace vireo {

I440fxHostBridge::I440fxHostBridge(std::array<uint8_t, k_pam_count> pam, PamHook on_pam)
    : PciDevice(PciIds { .vendor = 0x8086, .device = 0x1237, .class_code = 0x06'00'00, .revision = 2 })
    , m_on_pam(std::move(on_pam))
{
    for (size_t i = 0; i < k_pam_count; ++i) {
        init_config(static_cast<uint16_t>(k_pam0 + i), pam[i], 1);
        // PAM0 bits 3:0 are reserved; the other registers hold two segments each.
        mark_writable(static_cast<uint16_t>(k_pam0 + i), i == 0 ? 0x30 : 0x33);
    }
    init_config(k_smram, 0x02, 1); // SMRAM control: C_BASE_SEG = 010b (0xA0000), as after reset
    mark_writable(k_smram, 0x78);
}

void I440fxHostBridge::config_written(uint16_t offset, size_t size)
{
    if (!m_on_pam || offset >= k_pam0 + k_pam_count || offset + size <= k_pam0)
        return;
    std::array<uint8_t, k_pam_count> pam {};
    for (size_t i = 0; i < k_pam_count; ++i)
        pam[i] = static_cast<uint8_t>(config_value_locked(static_cast<uint16_t>(k_pam0 + i), 1));
    m_on_pam(pam);
}

} // namespace vireo
