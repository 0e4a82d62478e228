#include "devices/ide/atapi_cdrom.h"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

namespace vireo {

using namespace ata;
using namespace scsi;

namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t { p[0] } << 24 | uint32_t { p[1] } << 16 | uint32_t { p[2] } << 8 | p[3]; }

uint64_t disc_sectors(const std::shared_ptr<DiskImage>& image)
{
    return image ? image->size() / k_cd_sector_size : 0;
}

} // namespace

AtapiCdrom::AtapiCdrom(IdeDriveHost& host, unsigned position, const IdeDriveSpec& spec)
    : IdeDrive(host, position & 1)
    , m_image(spec.image)
    , m_serial(spec.serial.empty() ? fmt::format("VR{:05}", position + 1) : spec.serial)
    , m_model(spec.model.empty() ? "VIREO DVD-ROM" : spec.model)
    , m_firmware(spec.firmware.empty() ? VIREO_VERSION : spec.firmware)
{
    set_signature();
    m_tf.error = k_diag_passed;
    m_tf.status = reset_status();
}

void AtapiCdrom::set_signature()
{
    m_tf.count = 1;
    m_tf.lba_low = 1;
    m_tf.lba_mid = k_sig_atapi_mid;
    m_tf.lba_high = k_sig_atapi_high;
    m_tf.device = 0;
}

std::array<uint16_t, 256> AtapiCdrom::identify() const
{
    // ATA8-ACS §7.17 Table 26.
    std::array<uint16_t, 256> id {};
    const auto& s = m_settings;
    // ATAPI, CD-ROM command set, removable, DRQ within 50 us of PACKET, 12-byte packets.
    id[0] = 0x85c0;
    put_ata_string(std::span(id).subspan(10, 10), m_serial);
    put_ata_string(std::span(id).subspan(23, 4), m_firmware);
    put_ata_string(std::span(id).subspan(27, 20), m_model);
    id[49] = 0x0300;   // LBA, DMA
    id[53] = 0x0006;   // words 64-70 and 88 valid
    id[63] = static_cast<uint16_t>(0x0007 | (s.mwdma_mode <= 2 ? 0x100 << s.mwdma_mode : 0));
    id[64] = 0x0003;
    id[65] = 120;
    id[66] = 120;
    id[67] = 120;
    id[68] = 120;
    id[71] = 30;       // typical PACKET to bus release time (ns)
    id[72] = 30;
    id[80] = 0x00f0;   // ATA/ATAPI-4 to -7
    id[82] = 0x0214;   // DEVICE RESET, PACKET, removable media
    id[83] = 0x4000;
    id[84] = 0x4000;
    id[85] = 0x0214;
    id[86] = 0x0000;
    id[87] = 0x4000;
    id[88] = static_cast<uint16_t>(0x003f | (s.udma_mode <= 5 ? 0x100 << s.udma_mode : 0));
    id[93] = 0x6000 | (unit() == 0 ? 0x000b : 0x0b00);
    set_identify_checksum(id);
    return id;
}

mmc::DriveView AtapiCdrom::view() const
{
    return mmc::DriveView {
        .sectors = disc_sectors(m_image),
        .medium = medium_present(),
        .tray_open = m_settings.tray_open,
        .locked = m_settings.locked,
    };
}

void AtapiCdrom::execute(uint8_t command)
{
    m_stage = Stage::None;
    switch (command) {
    case k_cmd_packet:
        return packet_command();
    case k_cmd_identify_packet:
        return identify_packet();
    case k_cmd_device_reset:
        // ATA8-ACS §7.10: the signature, no interrupt.
        m_stage = Stage::None;
        end_reset();
        return;
    case k_cmd_execute_diagnostic:
        return execute_diagnostic();
    case k_cmd_identify:
        // A packet device aborts IDENTIFY DEVICE and shows its signature (ATA8-ACS §7.16).
        set_signature();
        return fail(k_err_abrt);
    case k_cmd_set_features:
        if (m_tf.feature == k_feature_set_transfer_mode) {
            uint8_t mode = m_tf.count & 7;
            switch (m_tf.count >> 3) {
            case 0:
            case 1:
                return complete();
            case 4:
                if (mode > 2)
                    break;
                m_settings.mwdma_mode = mode;
                m_settings.udma_mode = 0xff;
                return complete();
            case 8:
                if (mode > 5)
                    break;
                m_settings.udma_mode = mode;
                m_settings.mwdma_mode = 0xff;
                return complete();
            default:
                break;
            }
            return fail(k_err_abrt);
        }
        return complete();
    case k_cmd_check_power_mode:
        m_tf.count = 0xff;
        return complete();
    case k_cmd_standby_immediate:
    case k_cmd_idle_immediate:
    case k_cmd_standby:
    case k_cmd_idle:
    case k_cmd_sleep:
        return complete();
    default:
        return fail(k_err_abrt);
    }
}

void AtapiCdrom::identify_packet()
{
    auto words = identify();
    m_buffer.resize(sizeof(words));
    for (size_t i = 0; i < words.size(); ++i) {
        m_buffer[2 * i] = static_cast<uint8_t>(words[i]);
        m_buffer[2 * i + 1] = static_cast<uint8_t>(words[i] >> 8);
    }
    m_stage = Stage::None; // a plain PIO data-in block, not a packet data phase
    start_pio_in(0, m_buffer.size());
}

void AtapiCdrom::packet_command()
{
    // ATA8-ACS §7.21: DMA from Features bit 0, the byte count limit from LBA Mid/High; the
    // device asks for the packet with CoD=1, IO=0 and, per IDENTIFY word 0, no interrupt.
    m_dma = m_tf.feature & k_packet_dma;
    // An odd limit would split words; 0 (and 1) are undefined for PIO: take the largest.
    m_byte_limit = (uint32_t { m_tf.lba_high } << 8 | m_tf.lba_mid) & ~1U;
    if (m_byte_limit == 0)
        m_byte_limit = 0xfffe;
    m_read_remaining = 0;
    m_stage = Stage::Packet;
    m_buffer.assign(k_packet_size, 0);
    m_tf.count = k_ireason_cod;
    start_pio_out(0, k_packet_size, false);
}

void AtapiCdrom::pio_block_done()
{
    switch (m_stage) {
    case Stage::Packet:
        std::copy_n(m_buffer.begin(), k_packet_size, m_packet.begin());
        return run_packet();
    case Stage::Data:
        if (m_position < m_data_end)
            return next_piece();
        return data_sent();
    case Stage::None:
        return complete(false); // IDENTIFY PACKET DEVICE
    }
}

void AtapiCdrom::dma_transfer_done()
{
    data_sent();
}

void AtapiCdrom::data_sent()
{
    if (m_read_remaining > 0)
        return read_chunk();
    good_status();
}

void AtapiCdrom::good_status()
{
    m_stage = Stage::None;
    m_settings.sense_key = k_no_sense;
    m_settings.sense_asc = k_asc_none;
    m_tf.count = k_ireason_io | k_ireason_cod;
    complete();
}

void AtapiCdrom::check_condition(uint8_t key, uint16_t asc)
{
    m_stage = Stage::None;
    m_read_remaining = 0;
    m_settings.sense_key = key;
    m_settings.sense_asc = asc;
    m_tf.count = k_ireason_io | k_ireason_cod;
    // The Error register carries the sense key in bits 7:4 (ATA8-ACS §7.21.6).
    uint8_t error = static_cast<uint8_t>(key << 4);
    if (key == k_illegal_request)
        error |= k_err_abrt;
    fail(error);
}

void AtapiCdrom::send(std::vector<uint8_t> data, size_t allocation)
{
    data.resize(std::min(data.size(), allocation));
    if (data.empty())
        return good_status();
    m_buffer = std::move(data);
    m_data_end = m_buffer.size();
    m_stage = Stage::Data;
    if (m_dma)
        return start_dma(DmaDirection::ToMemory, m_data_end);
    m_position = 0;
    next_piece();
}

void AtapiCdrom::next_piece()
{
    // One DRQ data block of at most the byte count limit: its length in LBA Mid/High, IO=1.
    size_t begin = m_position;
    size_t length = std::min<size_t>(m_byte_limit, m_data_end - begin);
    m_tf.lba_mid = static_cast<uint8_t>(length);
    m_tf.lba_high = static_cast<uint8_t>(length >> 8);
    m_tf.count = k_ireason_io;
    start_pio_in(begin, begin + length);
}

void AtapiCdrom::read_sectors(uint64_t lba, uint32_t count)
{
    if (!medium_present())
        return check_condition(k_not_ready, k_asc_medium_not_present);
    uint64_t sectors = disc_sectors(m_image);
    if (lba >= sectors || count > sectors - lba)
        return check_condition(k_illegal_request, k_asc_lba_out_of_range);
    if (count == 0)
        return good_status();
    m_read_lba = lba;
    m_read_remaining = count;
    read_chunk();
}

void AtapiCdrom::read_chunk()
{
    uint32_t sectors = std::min(m_read_remaining, k_chunk_sectors);
    auto buffer = std::make_shared<std::vector<uint8_t>>(size_t { sectors } * k_cd_sector_size);
    DiskRequest request { .op = DiskOp::Read, .offset = m_read_lba * k_cd_sector_size };
    request.iov.push_back({ buffer->data(), buffer->size() });
    m_read_lba += sectors;
    m_read_remaining -= sectors;
    set_busy();
    submit_io(*m_image, std::move(request), [this, buffer](int result) {
        if (result < 0)
            return check_condition(k_medium_error, k_asc_unrecovered_read);
        m_buffer = std::move(*buffer);
        m_data_end = m_buffer.size();
        m_stage = Stage::Data;
        if (m_dma)
            return start_dma(DmaDirection::ToMemory, m_data_end);
        m_position = 0;
        next_piece();
    });
}

void AtapiCdrom::run_packet()
{
    const uint8_t* cdb = m_packet.data();
    uint8_t opcode = cdb[0];
    m_stage = Stage::None;
    set_busy();

    // A unit attention is reported once, to the first command that is not one of those
    // allowed to run through it (SPC-3 §5.9.6; MMC-5 §4.1.6.1 for GET CONFIGURATION and
    // GET EVENT STATUS NOTIFICATION).
    bool runs_through = opcode == k_inquiry || opcode == k_request_sense || opcode == k_get_configuration
        || opcode == k_get_event_status;
    if (m_settings.unit_attention && !runs_through) {
        m_settings.unit_attention = false;
        return check_condition(k_unit_attention, k_asc_medium_changed);
    }

    switch (opcode) {
    case k_test_unit_ready:
        if (!medium_present())
            return check_condition(k_not_ready, k_asc_medium_not_present);
        return good_status();
    case k_request_sense: {
        uint8_t key = m_settings.sense_key;
        uint16_t asc = m_settings.sense_asc;
        if (m_settings.unit_attention) {
            m_settings.unit_attention = false;
            key = k_unit_attention;
            asc = k_asc_medium_changed;
        }
        return send(mmc::fixed_sense(key, asc), cdb[4]);
    }
    case k_inquiry:
        if (cdb[1] & 0x01) // EVPD: no vital product data pages
            return check_condition(k_illegal_request, k_asc_invalid_field);
        return send(mmc::inquiry("VIREO", m_model, m_firmware), be16(cdb + 3));
    case k_read_capacity:
        if (!medium_present())
            return check_condition(k_not_ready, k_asc_medium_not_present);
        return send(mmc::read_capacity(disc_sectors(m_image)), 8);
    case k_read_10:
        return read_sectors(be32(cdb + 2), be16(cdb + 7));
    case k_read_12:
        return read_sectors(be32(cdb + 2), be32(cdb + 6));
    case k_seek_10:
        if (!medium_present())
            return check_condition(k_not_ready, k_asc_medium_not_present);
        return good_status();
    case k_read_toc: {
        if (!medium_present())
            return check_condition(k_not_ready, k_asc_medium_not_present);
        // The format is in byte 2 (MMC); SFF-8020 drives took it from bits 7:6 of byte 9.
        uint8_t format = cdb[2] & 0x0f;
        if (format == 0)
            format = cdb[9] >> 6;
        auto toc = mmc::read_toc(disc_sectors(m_image), format, cdb[1] & 0x02, cdb[6]);
        if (!toc)
            return check_condition(k_illegal_request, k_asc_invalid_field);
        return send(std::move(*toc), be16(cdb + 7));
    }
    case k_get_configuration:
        return send(mmc::get_configuration(view(), cdb[1] & 0x03, be16(cdb + 2)), be16(cdb + 7));
    case k_get_event_status:
        if (!(cdb[1] & 0x01)) // only polled operation
            return check_condition(k_illegal_request, k_asc_invalid_field);
        {
            auto data = mmc::event_status(view(), cdb[4], m_settings.media_event);
            if (cdb[4] & 0x10)
                m_settings.media_event = mmc::MediaEvent::None; // reported: consumed
            return send(std::move(data), be16(cdb + 7));
        }
    case k_mode_sense_6:
    case k_mode_sense_10: {
        uint8_t pc = cdb[2] >> 6;
        if (pc == 3)
            return check_condition(k_illegal_request, k_asc_saving_unsupported);
        bool ten = opcode == k_mode_sense_10;
        auto data = mmc::mode_sense(view(), cdb[2] & 0x3f, pc, ten);
        if (!data)
            return check_condition(k_illegal_request, k_asc_invalid_field);
        return send(std::move(*data), ten ? be16(cdb + 7) : cdb[4]);
    }
    case k_start_stop_unit:
        return start_stop_unit();
    case k_prevent_allow:
        m_settings.locked = cdb[4] & 0x01;
        return good_status();
    case k_read_disc_information:
        if ((cdb[1] & 0x07) != 0)
            return check_condition(k_illegal_request, k_asc_invalid_field);
        if (!medium_present())
            return check_condition(k_not_ready, k_asc_medium_not_present);
        return send(mmc::disc_information(view()), be16(cdb + 7));
    case k_mechanism_status:
        return send(mmc::mechanism_status(view()), be16(cdb + 8));
    case k_set_cd_speed:
        return good_status();
    default:
        return check_condition(k_illegal_request, k_asc_invalid_opcode);
    }
}

void AtapiCdrom::start_stop_unit()
{
    // MMC-5 §6.39: LoEj with Start 0 ejects, with Start 1 loads; Start alone spins (a no-op).
    uint8_t flags = m_packet[4];
    bool load_eject = flags & 0x02;
    bool start = flags & 0x01;
    if (!load_eject)
        return good_status();
    if (!start) {
        if (m_settings.locked)
            return check_condition(k_illegal_request, k_asc_removal_prevented);
        move_tray(true);
    } else {
        move_tray(false);
    }
    good_status();
}

void AtapiCdrom::move_tray(bool open)
{
    if (m_settings.tray_open == open)
        return;
    m_settings.tray_open = open;
    if (!open && m_image) {
        // The disc in the tray may be another one now.
        m_settings.unit_attention = true;
        m_settings.media_event = mmc::MediaEvent::NewMedia;
    } else if (open && m_image) {
        m_settings.media_event = mmc::MediaEvent::MediaRemoval;
    }
    if (m_tray_callback)
        m_tray_callback(open);
}

void AtapiCdrom::abort_for_media_change()
{
    // A command reading the old disc ends with "medium not present".
    if (phase() == Phase::Idle)
        return;
    cancel_io();
    check_condition(k_not_ready, k_asc_medium_not_present);
}

void AtapiCdrom::remove_medium()
{
    if (!m_image)
        return;
    abort_for_media_change();
    m_host.unwatch_image(m_image);
    m_image.reset();
}

Result<void> AtapiCdrom::eject(bool force)
{
    if (m_settings.locked && !force) {
        // The guest may honour the request, unlock and eject itself (MMC-5 §6.8.2.3.4).
        m_settings.media_event = mmc::MediaEvent::EjectRequest;
        return make_error("the guest has locked the tray");
    }
    m_settings.locked = false;
    move_tray(true);
    remove_medium();
    return {};
}

Result<void> AtapiCdrom::change_medium(std::shared_ptr<DiskImage> image, bool force)
{
    if (m_settings.locked && !force && !m_settings.tray_open) {
        m_settings.media_event = mmc::MediaEvent::EjectRequest;
        return make_error("the guest has locked the tray");
    }
    // An image another drive already uses (its completion fd is watched elsewhere) is refused
    // before anything changes.
    if (image)
        TRY(m_host.watch_image(image));
    m_settings.locked = false;
    move_tray(true);
    bool same = image == m_image;
    if (!same) {
        remove_medium();
        m_image = std::move(image);
    } else {
        abort_for_media_change();
    }
    move_tray(false);
    return {};
}

AtapiCdrom::State AtapiCdrom::save() const
{
    State state = m_settings;
    state.registers = save_registers();
    return state;
}

void AtapiCdrom::restore(const State& state)
{
    m_stage = Stage::None;
    m_read_remaining = 0;
    m_settings = state;
    if (m_settings.mwdma_mode > 2)
        m_settings.mwdma_mode = 0xff;
    if (m_settings.udma_mode > 5)
        m_settings.udma_mode = 0xff;
    restore_registers(state.registers);
}

} // namespace vireo
