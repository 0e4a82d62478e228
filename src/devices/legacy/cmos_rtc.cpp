#include "devices/legacy/cmos_rtc.h"

#include <algorithm>

#include "base/log.h"

namespace vireo {

namespace {

using namespace std::chrono;

// Clock registers (MC146818A datasheet, "Address Map").
constexpr uint8_t k_seconds = 0x00;
constexpr uint8_t k_minutes = 0x02;
constexpr uint8_t k_hours = 0x04;
constexpr uint8_t k_weekday = 0x06;
constexpr uint8_t k_day = 0x07;
constexpr uint8_t k_month = 0x08;
constexpr uint8_t k_year = 0x09;
constexpr uint8_t k_reg_a = 0x0a;
constexpr uint8_t k_reg_b = 0x0b;
constexpr uint8_t k_reg_c = 0x0c;
constexpr uint8_t k_reg_d = 0x0d;

constexpr uint8_t k_a_uip = 0x80;   // update in progress (read-only)
constexpr uint8_t k_a_default = 0x26; // 32.768 kHz time base, 1024 Hz rate
constexpr uint8_t k_b_set = 0x80;   // halt updates so that software can set the time
constexpr uint8_t k_b_binary = 0x04; // DM: binary instead of BCD
constexpr uint8_t k_b_24h = 0x02;
constexpr uint8_t k_b_default = k_b_24h;
constexpr uint8_t k_d_vrt = 0x80;   // valid RAM and time: the battery is good
constexpr uint8_t k_hour_pm = 0x80; // 12-hour mode: PM flag in the hours register

// UIP rises 244 us before each update (datasheet, "Update Cycle"); the registers advance when
// it falls, at the second boundary.
constexpr auto k_uip_lead = microseconds(244);

// BIOS CMOS RAM layout (IBM AT convention, as SeaBIOS and Linux read it).
constexpr uint8_t k_floppy_types = 0x10;
constexpr uint8_t k_equipment = 0x14;
constexpr uint8_t k_base_memory_low = 0x15;      // KiB below 1 MiB, little-endian
constexpr uint8_t k_extended_memory_low = 0x17;  // KiB above 1 MiB, capped at 0xffff
constexpr uint8_t k_checksum_high = 0x2e;        // sum of 0x10-0x2d, big-endian
constexpr uint8_t k_extended_memory2_low = 0x30; // copy of 0x17/0x18
constexpr uint8_t k_above_16m_low = 0x34;        // 64 KiB units above 16 MiB, below 4 GiB
constexpr uint8_t k_above_4g_low = 0x5b;         // 64 KiB units above 4 GiB, 3 bytes
constexpr uint8_t k_cpu_count_minus_one = 0x5f;

constexpr uint8_t k_equipment_fpu = 0x02; // math coprocessor; display bits 00 = EGA/VGA

constexpr uint64_t k_kib = 1024;
constexpr uint64_t k_mib = 1024 * k_kib;

} // namespace

CmosRtc::CmosRtc(const CmosConfig& config, WallClock clock)
    : m_clock(clock ? std::move(clock) : WallClock([] { return system_clock::now(); }))
    , m_offset(config.start_offset)
{
    m_ram[k_reg_a] = k_a_default;
    m_ram[k_reg_b] = k_b_default;

    auto put16 = [this](uint8_t index, uint64_t value) {
        m_ram[index] = static_cast<uint8_t>(value);
        m_ram[index + 1] = static_cast<uint8_t>(value >> 8);
    };
    m_ram[k_floppy_types] = 0; // no floppy drives
    m_ram[k_equipment] = k_equipment_fpu;
    put16(k_base_memory_low, 640);
    uint64_t extended_kib = config.low_ram_bytes > k_mib ? (config.low_ram_bytes - k_mib) / k_kib : 0;
    put16(k_extended_memory_low, std::min<uint64_t>(extended_kib, 0xffff));
    put16(k_extended_memory2_low, std::min<uint64_t>(extended_kib, 0xffff));
    uint64_t above_16m = config.low_ram_bytes > 16 * k_mib ? (config.low_ram_bytes - 16 * k_mib) / (64 * k_kib) : 0;
    put16(k_above_16m_low, std::min<uint64_t>(above_16m, 0xffff));
    uint64_t above_4g = std::min<uint64_t>(config.high_ram_bytes / (64 * k_kib), 0xff'ffff);
    m_ram[k_above_4g_low] = static_cast<uint8_t>(above_4g);
    m_ram[k_above_4g_low + 1] = static_cast<uint8_t>(above_4g >> 8);
    m_ram[k_above_4g_low + 2] = static_cast<uint8_t>(above_4g >> 16);
    m_ram[k_cpu_count_minus_one] = static_cast<uint8_t>(config.cpu_count > 0 ? config.cpu_count - 1 : 0);
    m_ram[0x3d] = config.boot_order_3d;
    m_ram[0x38] = config.boot_order_38;
    update_checksum();
}

void CmosRtc::update_checksum()
{
    unsigned sum = 0;
    for (uint8_t i = k_floppy_types; i < k_checksum_high; ++i)
        sum += m_ram[i];
    m_ram[k_checksum_high] = static_cast<uint8_t>(sum >> 8);
    m_ram[k_checksum_high + 1] = static_cast<uint8_t>(sum);
}

void CmosRtc::set_cmos_byte(uint8_t index, uint8_t value)
{
    std::lock_guard guard(m_lock);
    if (index <= k_reg_d || index >= m_ram.size())
        return; // the clock registers are not RAM
    m_ram[index] = value;
    if (index >= k_floppy_types && index < k_checksum_high)
        update_checksum();
}

bool CmosRtc::nmi_masked() const
{
    std::lock_guard guard(m_lock);
    return m_nmi_masked;
}

CmosRtc::Fields CmosRtc::current_fields() const
{
    auto now = floor<seconds>(m_clock()) + m_offset;
    auto day_point = floor<days>(now);
    year_month_day date { day_point };
    hh_mm_ss time { now - day_point };
    int year = static_cast<int>(date.year());
    Fields fields;
    fields.second = static_cast<int>(time.seconds().count());
    fields.minute = static_cast<int>(time.minutes().count());
    fields.hour = static_cast<int>(time.hours().count());
    fields.weekday = static_cast<int>(weekday { day_point }.c_encoding()) + 1;
    fields.day = static_cast<int>(static_cast<unsigned>(date.day()));
    fields.month = static_cast<int>(static_cast<unsigned>(date.month()));
    fields.year = year % 100;
    fields.century = year / 100;
    return fields;
}

void CmosRtc::commit_fields(const Fields& fields)
{
    year_month_day date { year { fields.century * 100 + fields.year }, month { static_cast<unsigned>(fields.month) },
        day { static_cast<unsigned>(fields.day) } };
    bool valid = date.ok() && fields.century >= 0 && fields.year >= 0 && fields.year <= 99 && fields.hour >= 0
        && fields.hour < 24 && fields.minute >= 0 && fields.minute < 60 && fields.second >= 0 && fields.second < 60;
    if (!valid) {
        VIREO_GUEST_WARN("rtc: guest set an invalid time {}{:02}-{}-{} {}:{}:{}; ignored", fields.century, fields.year,
            fields.month, fields.day, fields.hour, fields.minute, fields.second);
        return;
    }
    auto guest = sys_days { date } + hours { fields.hour } + minutes { fields.minute } + seconds { fields.second };
    m_offset = guest - floor<seconds>(m_clock());
}

uint8_t CmosRtc::encode(int value) const
{
    if (m_ram[k_reg_b] & k_b_binary)
        return static_cast<uint8_t>(value);
    return static_cast<uint8_t>(((value / 10) % 10) << 4 | (value % 10));
}

int CmosRtc::decode(uint8_t value) const
{
    if (m_ram[k_reg_b] & k_b_binary)
        return value;
    return (value >> 4) * 10 + (value & 0x0f);
}

uint8_t CmosRtc::encode_hour(int hour) const
{
    if (m_ram[k_reg_b] & k_b_24h)
        return encode(hour);
    // 12-hour mode: 12, 1..11 with bit 7 set for PM (midnight is 12 AM, noon 12 PM).
    int twelve = hour % 12 == 0 ? 12 : hour % 12;
    return static_cast<uint8_t>(encode(twelve) | (hour >= 12 ? k_hour_pm : 0));
}

int CmosRtc::decode_hour(uint8_t value) const
{
    if (m_ram[k_reg_b] & k_b_24h)
        return decode(value);
    int twelve = decode(value & 0x7f);
    return twelve % 12 + ((value & k_hour_pm) ? 12 : 0);
}

bool CmosRtc::update_in_progress() const
{
    if (m_ram[k_reg_b] & k_b_set)
        return false; // SET stops the update cycle
    auto now = m_clock();
    return now - floor<seconds>(now) >= seconds { 1 } - k_uip_lead;
}

uint8_t CmosRtc::read_data()
{
    bool frozen = m_ram[k_reg_b] & k_b_set;
    auto field = [&](int Fields::* member) { return frozen ? m_frozen.*member : current_fields().*member; };
    switch (m_index) {
    case k_seconds:
        return encode(field(&Fields::second));
    case k_minutes:
        return encode(field(&Fields::minute));
    case k_hours:
        return encode_hour(field(&Fields::hour));
    case k_weekday:
        return encode(field(&Fields::weekday));
    case k_day:
        return encode(field(&Fields::day));
    case k_month:
        return encode(field(&Fields::month));
    case k_year:
        return encode(field(&Fields::year));
    case k_century_register:
        return encode(field(&Fields::century));
    case k_reg_a:
        return static_cast<uint8_t>((m_ram[k_reg_a] & ~k_a_uip) | (update_in_progress() ? k_a_uip : 0));
    case k_reg_c:
        return 0; // no interrupt flags: interrupts are not emulated (read-to-clear is trivial)
    case k_reg_d:
        return k_d_vrt;
    default:
        return m_ram[m_index]; // alarms, register B, CMOS RAM
    }
}

void CmosRtc::write_data(uint8_t value)
{
    bool frozen = m_ram[k_reg_b] & k_b_set;
    // A time write outside SET takes effect at once, as if SET had wrapped it.
    auto set_field = [&](int Fields::* member, int decoded) {
        if (frozen) {
            m_frozen.*member = decoded;
            return;
        }
        Fields fields = current_fields();
        fields.*member = decoded;
        commit_fields(fields);
    };
    switch (m_index) {
    case k_seconds:
        return set_field(&Fields::second, decode(value & 0x7f));
    case k_minutes:
        return set_field(&Fields::minute, decode(value));
    case k_hours:
        return set_field(&Fields::hour, decode_hour(value));
    case k_weekday:
        return set_field(&Fields::weekday, decode(value)); // derived from the date on commit
    case k_day:
        return set_field(&Fields::day, decode(value));
    case k_month:
        return set_field(&Fields::month, decode(value));
    case k_year:
        return set_field(&Fields::year, decode(value));
    case k_century_register:
        return set_field(&Fields::century, decode(value));
    case k_reg_a:
        m_ram[k_reg_a] = value & ~k_a_uip;
        return;
    case k_reg_b: {
        bool set = value & k_b_set;
        if (set && !frozen)
            m_frozen = current_fields();
        m_ram[k_reg_b] = value;
        if (!set && frozen)
            commit_fields(m_frozen);
        return;
    }
    case k_reg_c:
    case k_reg_d:
        return; // read-only
    default:
        m_ram[m_index] = value;
        return;
    }
}

void CmosRtc::read(uint64_t offset, std::span<uint8_t> data)
{
    std::lock_guard guard(m_lock);
    for (size_t i = 0; i < data.size(); ++i) {
        uint64_t port = offset + i;
        if (port == 1)
            data[i] = read_data();
        else
            data[i] = 0xff; // the index port is write-only
    }
}

void CmosRtc::write(uint64_t offset, std::span<const uint8_t> data)
{
    std::lock_guard guard(m_lock);
    for (size_t i = 0; i < data.size(); ++i) {
        uint64_t port = offset + i;
        if (port == 0) {
            m_nmi_masked = data[i] & 0x80;
            m_index = data[i] & 0x7f;
        } else if (port == 1) {
            write_data(data[i]);
        }
    }
}

} // namespace vireo
