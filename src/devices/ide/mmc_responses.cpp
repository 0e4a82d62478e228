#include "devices/ide/mmc_responses.h"

#include <algorithm>

namespace vireo::mmc {

namespace {

constexpr uint8_t k_adr_control_data = 0x14; // ADR 1 (position), control 4 (data track)
constexpr uint8_t k_lead_out = 0xaa;
constexpr uint32_t k_sector_size = 2048;

class Writer {
public:
    void u8(uint8_t value) { m_bytes.push_back(value); }
    void u16(uint16_t value)
    {
        u8(static_cast<uint8_t>(value >> 8));
        u8(static_cast<uint8_t>(value));
    }
    void u32(uint32_t value)
    {
        u16(static_cast<uint16_t>(value >> 16));
        u16(static_cast<uint16_t>(value));
    }
    void zeros(size_t count) { m_bytes.insert(m_bytes.end(), count, 0); }
    void text(std::string_view value, size_t width)
    {
        for (size_t i = 0; i < width; ++i)
            u8(i < value.size() ? static_cast<uint8_t>(value[i]) : uint8_t { ' ' });
    }
    void address(uint64_t lba, bool msf)
    {
        if (!msf)
            return u32(static_cast<uint32_t>(lba));
        auto m = lba_to_msf(lba);
        u8(0);
        u8(m.minute);
        u8(m.second);
        u8(m.frame);
    }
    // Patches a big-endian length field at `at` with the byte count after the field.
    void set_length16(size_t at)
    {
        auto length = static_cast<uint16_t>(m_bytes.size() - at - 2);
        m_bytes[at] = static_cast<uint8_t>(length >> 8);
        m_bytes[at + 1] = static_cast<uint8_t>(length);
    }
    [[nodiscard]] size_t size() const { return m_bytes.size(); }
    std::vector<uint8_t>& bytes() { return m_bytes; }

private:
    std::vector<uint8_t> m_bytes;
};

// One feature descriptor header (MMC-5 §5.2.2): code, version/persistent/current, length.
void feature(Writer& out, uint16_t code, uint8_t version, bool persistent, bool current, uint8_t length)
{
    out.u16(code);
    out.u8(static_cast<uint8_t>(version << 2 | (persistent ? 2 : 0) | (current ? 1 : 0)));
    out.u8(length);
}

void raw_toc_entry(Writer& out, uint8_t point, uint8_t pmin, uint8_t psec, uint8_t pframe)
{
    out.u8(1); // session
    out.u8(k_adr_control_data);
    out.u8(0); // TNO
    out.u8(point);
    out.zeros(4); // min, sec, frame, zero
    out.u8(pmin);
    out.u8(psec);
    out.u8(pframe);
}

void error_recovery_page(Writer& out, bool changeable)
{
    out.u8(0x01);
    out.u8(0x06);
    if (changeable)
        return out.zeros(6);
    out.u8(0x00); // error recovery parameters
    out.u8(0x05); // read retry count
    out.zeros(4);
}

void capabilities_page(Writer& out, const DriveView& drive, bool changeable)
{
    // MMC-3 §5.5.10 (legacy layout, still what drivers parse).
    constexpr uint8_t k_length = 0x14;
    out.u8(0x2a);
    out.u8(k_length);
    if (changeable)
        return out.zeros(k_length);
    out.u8(0x3b);  // reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM
    out.u8(0x00);  // writes nothing
    out.u8(0x71);  // audio play, mode 2 form 1 and 2, multi-session
    out.u8(0x00);
    // Tray loading mechanism, eject, lock supported; lock state.
    out.u8(static_cast<uint8_t>(0x29 | (drive.locked ? 0x02 : 0x00)));
    out.u8(0x00);
    out.u16(706);  // maximum read speed (kB/s, obsolete)
    out.u16(256);  // volume levels
    out.u16(512);  // buffer size (KiB)
    out.u16(706);  // current read speed (obsolete)
    out.u8(0);
    out.u8(0);
    out.u16(0);    // maximum write speed
    out.u16(0);    // current write speed
}

} // namespace

Msf lba_to_msf(uint64_t lba)
{
    uint64_t frames = lba + 150;
    return Msf { static_cast<uint8_t>(frames / (75 * 60)), static_cast<uint8_t>(frames / 75 % 60),
        static_cast<uint8_t>(frames % 75) };
}

uint16_t current_profile(const DriveView& drive)
{
    if (!drive.medium)
        return k_profile_none;
    return drive.sectors > k_cd_max_sectors ? k_profile_dvd_rom : k_profile_cd_rom;
}

std::vector<uint8_t> inquiry(std::string_view vendor, std::string_view product, std::string_view revision)
{
    Writer out;
    out.u8(0x05); // CD/DVD device
    out.u8(0x80); // removable
    out.u8(0x00); // version: no standard claimed (ATAPI)
    out.u8(0x21); // ATAPI version 2, response data format 1
    out.u8(31);   // additional length
    out.zeros(3);
    out.text(vendor, 8);
    out.text(product, 16);
    out.text(revision, 4);
    return std::move(out.bytes());
}

std::vector<uint8_t> fixed_sense(uint8_t key, uint16_t asc_ascq)
{
    std::vector<uint8_t> sense(18, 0);
    sense[0] = 0x70; // current error, fixed format
    sense[2] = key;
    sense[7] = 10;   // additional sense length
    sense[12] = static_cast<uint8_t>(asc_ascq >> 8);
    sense[13] = static_cast<uint8_t>(asc_ascq);
    return sense;
}

std::vector<uint8_t> read_capacity(uint64_t sectors)
{
    Writer out;
    uint64_t last = sectors ? sectors - 1 : 0;
    out.u32(static_cast<uint32_t>(std::min<uint64_t>(last, 0xffffffff)));
    out.u32(k_sector_size);
    return std::move(out.bytes());
}

std::optional<std::vector<uint8_t>> read_toc(uint64_t sectors, uint8_t format, bool msf, uint8_t start_track)
{
    Writer out;
    out.u16(0); // data length, patched below
    out.u8(1);  // first track / session
    out.u8(1);  // last track / session
    switch (format) {
    case 0: // TOC: track 1, then the lead-out
        if (start_track > 1 && start_track != k_lead_out)
            return std::nullopt;
        if (start_track <= 1) {
            out.u8(0);
            out.u8(k_adr_control_data);
            out.u8(1);
            out.u8(0);
            out.address(0, msf);
        }
        out.u8(0);
        out.u8(k_adr_control_data);
        out.u8(k_lead_out);
        out.u8(0);
        out.address(sectors, msf);
        break;
    case 1: // session information: first track of the last session
        out.u8(0);
        out.u8(k_adr_control_data);
        out.u8(1);
        out.u8(0);
        out.address(0, msf);
        break;
    case 2: { // raw TOC: points A0 (first track), A1 (last track), A2 (lead-out), track 1; always MSF
        auto lead_out = lba_to_msf(sectors);
        auto track = lba_to_msf(0);
        raw_toc_entry(out, 0xa0, 1, 0, 0);
        raw_toc_entry(out, 0xa1, 1, 0, 0);
        raw_toc_entry(out, 0xa2, lead_out.minute, lead_out.second, lead_out.frame);
        raw_toc_entry(out, 1, track.minute, track.second, track.frame);
        break;
    }
    default:
        return std::nullopt;
    }
    out.set_length16(0);
    return std::move(out.bytes());
}

std::vector<uint8_t> get_configuration(const DriveView& drive, uint8_t rt, uint16_t start)
{
    uint16_t profile = current_profile(drive);
    bool dvd = profile == k_profile_dvd_rom;
    bool cd = profile == k_profile_cd_rom;
    Writer out;
    out.u32(0); // data length, patched below
    out.u16(0);
    out.u16(profile);

    struct Feature {
        uint16_t code;
        bool current;
    };
    const Feature features[] = {
        { 0x0000, true },   // Profile List
        { 0x0001, true },   // Core
        { 0x0003, true },   // Removable Medium
        { 0x0010, drive.medium }, // Random Readable
        { 0x001e, cd },     // CD Read
        { 0x001f, dvd },    // DVD Read
    };
    for (const auto& f : features) {
        bool wanted = rt == 2 ? f.code == start : f.code >= start && (rt != 1 || f.current);
        if (!wanted)
            continue;
        switch (f.code) {
        case 0x0000:
            feature(out, f.code, 0, true, true, 8);
            out.u16(k_profile_dvd_rom);
            out.u8(dvd ? 1 : 0);
            out.u8(0);
            out.u16(k_profile_cd_rom);
            out.u8(cd ? 1 : 0);
            out.u8(0);
            break;
        case 0x0001:
            feature(out, f.code, 2, true, true, 8);
            out.u32(2);   // physical interface: ATAPI
            out.u8(0x01); // DBE
            out.zeros(3);
            break;
        case 0x0003:
            feature(out, f.code, 0, true, true, 4);
            out.u8(0x29); // tray, eject, lock
            out.zeros(3);
            break;
        case 0x0010:
            feature(out, f.code, 0, false, f.current, 8);
            out.u32(k_sector_size);
            out.u16(dvd ? 16 : 1); // blocking
            out.u8(0);
            out.u8(0);
            break;
        default: // CD Read, DVD Read: no optional capabilities
            feature(out, f.code, f.code == 0x001e ? 2 : 0, false, f.current, 4);
            out.zeros(4);
            break;
        }
    }
    auto& bytes = out.bytes();
    uint32_t length = static_cast<uint32_t>(bytes.size() - 4);
    for (int i = 0; i < 4; ++i)
        bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(length >> (24 - 8 * i));
    return std::move(bytes);
}

std::optional<std::vector<uint8_t>> mode_sense(const DriveView& drive, uint8_t page, uint8_t pc, bool ten)
{
    if (page != 0x01 && page != 0x2a && page != 0x3f)
        return std::nullopt;
    Writer out;
    // Mode parameter header without block descriptors (SPC-3 §7.4.3).
    if (ten) {
        out.u16(0);
        out.u8(0); // medium type
        out.zeros(5);
    } else {
        out.u8(0);
        out.u8(0);
        out.zeros(2);
    }
    bool changeable = pc == 1;
    if (page == 0x01 || page == 0x3f)
        error_recovery_page(out, changeable);
    if (page == 0x2a || page == 0x3f)
        capabilities_page(out, drive, changeable);
    auto& bytes = out.bytes();
    if (ten) {
        out.set_length16(0);
    } else {
        bytes[0] = static_cast<uint8_t>(bytes.size() - 1);
    }
    return std::move(bytes);
}

std::vector<uint8_t> event_status(const DriveView& drive, uint8_t class_request, MediaEvent event)
{
    constexpr uint8_t k_media_class = 0x10;
    Writer out;
    out.u16(0);
    if (!(class_request & k_media_class)) {
        out.u8(0x80); // NEA: no requested class is supported
        out.u8(k_media_class);
        out.set_length16(0);
        return std::move(out.bytes());
    }
    out.u8(0x04); // notification class: media
    out.u8(k_media_class);
    out.u8(static_cast<uint8_t>(event));
    out.u8(static_cast<uint8_t>((drive.medium ? 0x02 : 0x00) | (drive.tray_open ? 0x01 : 0x00)));
    out.u8(0); // start slot
    out.u8(0); // end slot
    out.set_length16(0);
    return std::move(out.bytes());
}

std::vector<uint8_t> disc_information(const DriveView& drive)
{
    Writer out;
    out.u16(0);
    out.u8(0x0e); // last session complete, disc complete (not erasable)
    out.u8(1);    // first track on disc
    out.u8(1);    // sessions (LSB)
    out.u8(1);    // first track in last session (LSB)
    out.u8(1);    // last track in last session (LSB)
    out.u8(0x20); // unrestricted use
    out.u8(0x00); // disc type: CD-DA or CD-ROM
    out.zeros(3); // MSBs of the counts above
    out.u32(0);   // disc identification
    out.u32(0xffffffff); // last session lead-in start: none
    out.u32(0xffffffff); // last possible lead-out start: none
    out.zeros(8); // disc bar code
    out.u8(0);    // disc application code
    out.u8(0);    // number of OPC tables
    out.set_length16(0);
    (void)drive;
    return std::move(out.bytes());
}

std::vector<uint8_t> mechanism_status(const DriveView& drive)
{
    Writer out;
    out.u8(0);                                   // no fault, no changer, slot 0
    out.u8(drive.tray_open ? 0x10 : 0x00);       // mechanism idle; door open
    out.zeros(3);                                // current LBA (obsolete)
    out.u8(0);                                   // slots
    out.u16(0);                                  // slot table length
    return std::move(out.bytes());
}

} // namespace vireo::mmc
