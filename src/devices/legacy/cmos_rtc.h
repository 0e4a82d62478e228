#pragma once
// The PC's CMOS RTC (Motorola MC146818A): port base+0 selects a register (bit 7 masks NMI on
// real boards; ignored here), base+1 reads or writes it. Registers 0x00-0x0D are the clock,
// 0x0E-0x7F battery-backed RAM, where the BIOS convention keeps memory sizes and the CPU count.
//
// The clock is the host's UTC clock plus an offset that the guest sets by writing the time
// registers (normally with register B's SET bit on). Periodic, alarm and update-ended
// interrupts (IRQ 8) are not emulated: register C always reads 0 and the alarm registers are
// plain storage.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>

#include "bus/bus_device.h"

namespace vireo {

// The RAM facts written into CMOS bytes 0x15-0x18, 0x30-0x35, 0x5B-0x5F.
struct CmosConfig {
    uint64_t low_ram_bytes = 0;  // RAM below 4 GiB, counted from address 0
    uint64_t high_ram_bytes = 0; // RAM from 4 GiB up
    uint32_t cpu_count = 1;
    // Boot device order for the BIOS (bytes 0x3d and 0x38: SeaBIOS reads -boot order= here).
    uint8_t boot_order_3d = 0;
    uint8_t boot_order_38 = 0;
    // What the clock shows at start, as an offset from the host's UTC clock: 0 for -rtc base=utc,
    // the host's UTC offset for base=localtime, DATE minus the start time for base=DATE.
    std::chrono::seconds start_offset { 0 };
};

// Wall-clock time in UTC; injectable so tests can fix the time.
using WallClock = std::function<std::chrono::system_clock::time_point()>;

class CmosRtc final : public BusDevice {
public:
    static constexpr uint64_t k_port_count = 2; // register at 0x70, length 2
    static constexpr uint8_t k_century_register = 0x32; // for the FADT's CENTURY field

    // clock defaults to std::chrono::system_clock::now.
    explicit CmosRtc(const CmosConfig& config, WallClock clock = {});

    // Sets a CMOS RAM byte (0x0E-0x7F), e.g. a boot-order hint; keeps the 0x2E checksum right.
    void set_cmos_byte(uint8_t index, uint8_t value);
    // Whether the guest last wrote the index port with bit 7 set (NMI disabled).
    bool nmi_masked() const;

    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    // The clock registers in plain binary, 24-hour form.
    struct Fields {
        int second = 0;
        int minute = 0;
        int hour = 0;
        int weekday = 1; // 1 = Sunday
        int day = 1;
        int month = 1;
        int year = 0;    // 0-99
        int century = 20;
    };

    uint8_t read_data();
    void write_data(uint8_t value);
    Fields current_fields() const;
    // Makes the guest's clock show fields from now on; an invalid date is refused.
    void commit_fields(const Fields& fields);
    uint8_t encode(int value) const;
    int decode(uint8_t value) const;
    uint8_t encode_hour(int hour) const;
    int decode_hour(uint8_t value) const;
    bool update_in_progress() const;
    void update_checksum();

    WallClock m_clock;
    mutable std::mutex m_lock;
    std::array<uint8_t, 128> m_ram {}; // also holds registers A (0x0A) and B (0x0B)
    uint8_t m_index = 0;
    bool m_nmi_masked = false;
    std::chrono::seconds m_offset { 0 }; // guest time minus host time
    Fields m_frozen;                     // what the time registers show while SET is on
};

} // namespace vireo
