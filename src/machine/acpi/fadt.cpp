// FADT and FACS (ACPI 6.4 §5.2.9, §5.2.10).
#include "machine/acpi/sdt.h"

namespace vireo::acpi {

namespace {

// FADT flags (§5.2.9, Table 5.10).
constexpr uint32_t k_flag_wbinvd = 1u << 0;
constexpr uint32_t k_flag_proc_c1 = 1u << 2;
constexpr uint32_t k_flag_slp_button = 1u << 5; // no fixed-feature sleep button
constexpr uint32_t k_flag_reset_reg_sup = 1u << 10;
// PWR_BUTTON (bit 4) stays clear: the power button is the fixed-feature one in PM1.

// IA-PC boot architecture flags (§5.2.9.3).
constexpr uint16_t k_boot_legacy_devices = 1u << 0;
constexpr uint16_t k_boot_8042 = 1u << 1;

constexpr uint8_t k_cmos_century_index = 0x32;

} // namespace

std::vector<uint8_t> build_fadt(const AcpiConfig& config, uint64_t facs_address, uint64_t dsdt_address)
{
    // A PIIX4-style timer counts 24 bits, so TMR_VAL_EXT (flag bit 8) stays clear.
    const uint16_t pm_timer_port = config.pm_timer ? pc::k_pm_timer_port : 0;
    TableWriter fadt("FACP", 6);
    fadt.u32(static_cast<uint32_t>(facs_address)); // FIRMWARE_CTRL
    fadt.u32(static_cast<uint32_t>(dsdt_address)); // DSDT
    fadt.u8(0);                                    // reserved (INT_MODEL in ACPI 1.0)
    fadt.u8(0);                                    // Preferred_PM_Profile: unspecified
    fadt.u16(pc::k_sci_irq);                       // SCI_INT
    fadt.u32(0);                                   // SMI_CMD: 0 = always in ACPI mode
    fadt.u8(0);                                    // ACPI_ENABLE
    fadt.u8(0);                                    // ACPI_DISABLE
    fadt.u8(0);                                    // S4BIOS_REQ
    fadt.u8(0);                                    // PSTATE_CNT
    fadt.u32(pc::k_pm1a_event_port);               // PM1a_EVT_BLK
    fadt.u32(0);                                   // PM1b_EVT_BLK
    fadt.u32(pc::k_pm1a_control_port);             // PM1a_CNT_BLK
    fadt.u32(0);                                   // PM1b_CNT_BLK
    fadt.u32(0);                                   // PM2_CNT_BLK
    fadt.u32(pm_timer_port);                       // PM_TMR_BLK (0: no PM timer)
    fadt.u32(0);                                   // GPE0_BLK
    fadt.u32(0);                                   // GPE1_BLK
    fadt.u8(4);                                    // PM1_EVT_LEN
    fadt.u8(2);                                    // PM1_CNT_LEN
    fadt.u8(0);                                    // PM2_CNT_LEN
    fadt.u8(config.pm_timer ? 4 : 0);              // PM_TMR_LEN
    fadt.u8(0);                                    // GPE0_BLK_LEN
    fadt.u8(0);                                    // GPE1_BLK_LEN
    fadt.u8(0);                                    // GPE1_BASE
    fadt.u8(0);                                    // CST_CNT
    fadt.u16(101);                                 // P_LVL2_LAT: > 100, C2 not supported
    fadt.u16(1001);                                // P_LVL3_LAT: > 1000, C3 not supported
    fadt.u16(0);                                   // FLUSH_SIZE
    fadt.u16(0);                                   // FLUSH_STRIDE
    fadt.u8(0);                                    // DUTY_OFFSET
    fadt.u8(0);                                    // DUTY_WIDTH
    fadt.u8(0);                                    // DAY_ALRM
    fadt.u8(0);                                    // MON_ALRM
    fadt.u8(k_cmos_century_index);                 // CENTURY
    fadt.u16(k_boot_legacy_devices | k_boot_8042); // IAPC_BOOT_ARCH
    fadt.u8(0);                                    // reserved
    fadt.u32(k_flag_wbinvd | k_flag_proc_c1 | k_flag_slp_button | k_flag_reset_reg_sup);
    fadt.io_gas(pc::k_reset_control_port, 8, 1);   // RESET_REG, byte access
    fadt.u8(pc::k_reset_value);                    // RESET_VALUE
    fadt.u16(0);                                   // ARM_BOOT_ARCH
    fadt.u8(4);                                    // FADT minor version: 6.4
    fadt.u64(facs_address);                        // X_FIRMWARE_CTRL
    fadt.u64(dsdt_address);                        // X_DSDT
    // X_PM1a_EVT_BLK .. X_GPE1_BLK: the 64-bit forms of the blocks above, kept consistent.
    fadt.io_gas(pc::k_pm1a_event_port, 32, 0);     // X_PM1a_EVT_BLK
    fadt.zeros(12);                                // X_PM1b_EVT_BLK
    fadt.io_gas(pc::k_pm1a_control_port, 16, 0);   // X_PM1a_CNT_BLK
    fadt.zeros(12);                                // X_PM1b_CNT_BLK
    fadt.zeros(12);                                // X_PM2_CNT_BLK
    if (config.pm_timer)
        fadt.io_gas(pm_timer_port, 32, 0);         // X_PM_TMR_BLK
    else
        fadt.zeros(12);
    fadt.zeros(12);                                // X_GPE0_BLK
    fadt.zeros(12);                                // X_GPE1_BLK
    fadt.zeros(12);                                // SLEEP_CONTROL_REG (hardware-reduced only)
    fadt.zeros(12);                                // SLEEP_STATUS_REG
    fadt.u64(0);                                   // Hypervisor Vendor Identity
    return fadt.finish();
}

std::vector<uint8_t> build_facs()
{
    // No checksum, 64-byte aligned; nothing to wake from since only S5 exists.
    std::vector<uint8_t> facs(k_facs_size, 0);
    facs[0] = 'F';
    facs[1] = 'A';
    facs[2] = 'C';
    facs[3] = 'S';
    facs[4] = static_cast<uint8_t>(k_facs_size); // length
    facs[32] = 2;                                // version
    return facs;
}

} // namespace vireo::acpi
