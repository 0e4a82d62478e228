#include "devices/ide/ata_disk.h"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

namespace vireo {

using namespace ata;

namespace {

constexpr uint16_t k_default_heads = 16;
constexpr uint16_t k_default_sectors_per_track = 63;
constexpr uint64_t k_max_default_cylinders = 16383;

} // namespace

AtaDisk::AtaDisk(IdeDriveHost& host, unsigned position, const IdeDriveSpec& spec)
    : IdeDrive(host, position & 1)
    , m_image(spec.image)
    , m_sectors(spec.image ? spec.image->size() / k_sector_size : 0)
    , m_read_only(spec.read_only || (spec.image && spec.image->read_only()))
    , m_serial(spec.serial.empty() ? fmt::format("VR{:05}", position + 1) : spec.serial)
    , m_model(spec.model.empty() ? "VIREO HARDDISK" : spec.model)
    , m_firmware(spec.firmware.empty() ? VIREO_VERSION : spec.firmware)
{
    set_signature();
    m_tf.error = k_diag_passed;
    m_tf.status = ready_status();
}

void AtaDisk::set_signature()
{
    m_tf.count = 1;
    m_tf.lba_low = 1;
    m_tf.lba_mid = 0;
    m_tf.lba_high = 0;
    m_tf.device = 0;
}

std::array<uint16_t, 256> AtaDisk::identify() const
{
    // ATA8-ACS §7.16 Table 22.
    std::array<uint16_t, 256> id {};
    const auto& s = m_settings;
    uint64_t default_cylinders = std::min<uint64_t>(m_sectors / (k_default_heads * k_default_sectors_per_track),
        k_max_default_cylinders);
    uint64_t cylinders = std::min<uint64_t>(m_sectors / (uint64_t { s.heads } * s.sectors_per_track), 65535);
    uint64_t chs_capacity = cylinders * s.heads * s.sectors_per_track;
    uint64_t lba28 = std::min<uint64_t>(m_sectors, k_lba28_limit - 1);

    id[0] = 0x0040; // ATA device, fixed
    id[1] = static_cast<uint16_t>(default_cylinders);
    id[3] = k_default_heads;
    id[6] = k_default_sectors_per_track;
    put_ata_string(std::span(id).subspan(10, 10), m_serial);
    put_ata_string(std::span(id).subspan(23, 4), m_firmware);
    put_ata_string(std::span(id).subspan(27, 20), m_model);
    id[47] = 0x8000 | k_max_multiple;
    id[49] = 0x0f00;   // IORDY, IORDY may be disabled, LBA, DMA
    id[50] = 0x4000;
    id[53] = 0x0007;   // words 54-58, 64-70 and 88 valid
    id[54] = static_cast<uint16_t>(cylinders);
    id[55] = s.heads;
    id[56] = s.sectors_per_track;
    id[57] = static_cast<uint16_t>(chs_capacity);
    id[58] = static_cast<uint16_t>(chs_capacity >> 16);
    id[59] = static_cast<uint16_t>(s.multiple_count ? 0x0100 | s.multiple_count : 0);
    id[60] = static_cast<uint16_t>(lba28);
    id[61] = static_cast<uint16_t>(lba28 >> 16);
    id[63] = static_cast<uint16_t>(0x0007 | (s.mwdma_mode <= 2 ? 0x100 << s.mwdma_mode : 0));
    id[64] = 0x0003;   // PIO modes 3 and 4
    id[65] = 120;      // minimum MWDMA cycle time (ns)
    id[66] = 120;
    id[67] = 120;      // minimum PIO cycle time without / with IORDY
    id[68] = 120;
    id[80] = 0x01f0;   // ATA-4 to ATA8-ACS
    id[82] = 0x0028;   // write cache, power management
    id[83] = 0x7400;   // FLUSH CACHE EXT, FLUSH CACHE, 48-bit address
    id[84] = 0x4000;
    id[85] = static_cast<uint16_t>(0x0008 | (s.write_cache ? 0x0020 : 0));
    id[86] = 0x3400;
    id[87] = 0x4000;
    id[88] = static_cast<uint16_t>(0x003f | (s.udma_mode <= 5 ? 0x100 << s.udma_mode : 0));
    id[93] = 0x6000 | (unit() == 0 ? 0x000b : 0x0b00); // reset results; 80-conductor cable
    id[100] = static_cast<uint16_t>(m_sectors);
    id[101] = static_cast<uint16_t>(m_sectors >> 16);
    id[102] = static_cast<uint16_t>(m_sectors >> 32);
    id[103] = static_cast<uint16_t>(m_sectors >> 48);
    set_identify_checksum(id);
    return id;
}

void AtaDisk::execute(uint8_t command)
{
    switch (command) {
    case k_cmd_read_sectors:
    case k_cmd_read_sectors_noretry:
        return start_transfer(false, Access::Pio, false);
    case k_cmd_read_sectors_ext:
        return start_transfer(false, Access::Pio, true);
    case k_cmd_read_multiple:
        return start_transfer(false, Access::Multiple, false);
    case k_cmd_read_multiple_ext:
        return start_transfer(false, Access::Multiple, true);
    case k_cmd_read_dma:
    case k_cmd_read_dma_noretry:
        return start_transfer(false, Access::Dma, false);
    case k_cmd_read_dma_ext:
        return start_transfer(false, Access::Dma, true);
    case k_cmd_write_sectors:
    case k_cmd_write_sectors_noretry:
        return start_transfer(true, Access::Pio, false);
    case k_cmd_write_sectors_ext:
        return start_transfer(true, Access::Pio, true);
    case k_cmd_write_multiple:
        return start_transfer(true, Access::Multiple, false);
    case k_cmd_write_multiple_ext:
        return start_transfer(true, Access::Multiple, true);
    case k_cmd_write_dma:
    case k_cmd_write_dma_noretry:
        return start_transfer(true, Access::Dma, false);
    case k_cmd_write_dma_ext:
        return start_transfer(true, Access::Dma, true);
    case k_cmd_read_verify:
    case k_cmd_read_verify_noretry:
        return verify_or_seek(false, true);
    case k_cmd_read_verify_ext:
        return verify_or_seek(true, true);
    case k_cmd_seek:
        return verify_or_seek(false, false);
    case k_cmd_flush_cache:
    case k_cmd_flush_cache_ext:
        return flush();
    case k_cmd_identify:
        return identify_command();
    case k_cmd_set_features:
        return set_features();
    case k_cmd_set_multiple:
        return set_multiple_mode();
    case k_cmd_initialize_parameters:
        return initialize_parameters();
    case k_cmd_execute_diagnostic:
        return execute_diagnostic();
    case k_cmd_check_power_mode:
        m_tf.count = 0xff; // active or idle
        return complete();
    case k_cmd_standby_immediate:
    case k_cmd_idle_immediate:
    case k_cmd_standby:
    case k_cmd_idle:
    case k_cmd_sleep:
        return complete();
    default:
        // RECALIBRATE (10h-1Fh, obsolete) still succeeds for old BIOSes and DOS drivers.
        if ((command & 0xf0) == k_cmd_recalibrate)
            return complete();
        return fail(k_err_abrt);
    }
}

std::optional<uint64_t> AtaDisk::command_lba(bool lba48) const
{
    const auto& tf = m_tf;
    if (lba48) {
        return uint64_t { tf.hob_lba_high } << 40 | uint64_t { tf.hob_lba_mid } << 32 | uint64_t { tf.hob_lba_low } << 24
            | uint64_t { tf.lba_high } << 16 | uint64_t { tf.lba_mid } << 8 | tf.lba_low;
    }
    if (tf.device & k_dev_lba)
        return uint64_t { tf.device & 0x0fu } << 24 | uint64_t { tf.lba_high } << 16 | uint64_t { tf.lba_mid } << 8 | tf.lba_low;
    // CHS through the geometry INITIALIZE DEVICE PARAMETERS set (ATA/ATAPI-5 §6.2.1).
    uint64_t cylinder = uint64_t { tf.lba_high } << 8 | tf.lba_mid;
    uint64_t head = tf.device & 0x0fu;
    uint64_t sector = tf.lba_low;
    if (sector == 0 || sector > m_settings.sectors_per_track || head >= m_settings.heads)
        return std::nullopt;
    return (cylinder * m_settings.heads + head) * m_settings.sectors_per_track + sector - 1;
}

uint32_t AtaDisk::command_count(bool lba48) const
{
    if (lba48) {
        uint32_t count = uint32_t { m_tf.hob_count } << 8 | m_tf.count;
        return count ? count : 65536;
    }
    return m_tf.count ? m_tf.count : 256;
}

void AtaDisk::report_lba(uint64_t lba)
{
    m_tf.lba_low = static_cast<uint8_t>(lba);
    m_tf.lba_mid = static_cast<uint8_t>(lba >> 8);
    m_tf.lba_high = static_cast<uint8_t>(lba >> 16);
    m_tf.hob_lba_low = static_cast<uint8_t>(lba >> 24);
    m_tf.hob_lba_mid = static_cast<uint8_t>(lba >> 32);
    m_tf.hob_lba_high = static_cast<uint8_t>(lba >> 40);
    if (m_tf.device & k_dev_lba)
        m_tf.device = static_cast<uint8_t>((m_tf.device & 0xf0) | ((lba >> 24) & 0x0f));
}

void AtaDisk::start_transfer(bool write, Access access, bool lba48)
{
    if (access == Access::Multiple && m_settings.multiple_count == 0)
        return fail(k_err_abrt);
    if (write && m_read_only)
        return fail(k_err_abrt);
    auto lba = command_lba(lba48);
    uint32_t count = command_count(lba48);
    if (!lba || *lba >= m_sectors || count > m_sectors - *lba)
        return fail(k_err_idnf);
    m_transfer = Transfer {
        .write = write,
        .lba = *lba,
        .remaining = count,
        .block_sectors = access == Access::Multiple ? m_settings.multiple_count : 1u,
    };
    if (access == Access::Dma) {
        // The whole command is one image request straight into (or out of) the guest's regions.
        m_transfer.chunk_sectors = count;
        return start_mapped_dma(write ? DmaDirection::FromMemory : DmaDirection::ToMemory,
            size_t { count } * k_sector_size);
    }
    if (write)
        write_chunk_begin(false);
    else
        read_chunk();
}

void AtaDisk::read_chunk()
{
    uint32_t sectors = std::min(m_transfer.remaining, k_chunk_sectors);
    auto buffer = std::make_shared<std::vector<uint8_t>>(size_t { sectors } * k_sector_size);
    DiskRequest request { .op = DiskOp::Read, .offset = m_transfer.lba * k_sector_size };
    request.iov.push_back({ buffer->data(), buffer->size() });
    set_busy();
    submit_io(*m_image, std::move(request), [this, buffer, sectors](int result) {
        if (result < 0) {
            report_lba(m_transfer.lba);
            return fail(k_err_unc);
        }
        m_buffer = std::move(*buffer);
        m_transfer.chunk_sectors = sectors;
        m_transfer.chunk_done = 0;
        next_pio_read_block();
    });
}

void AtaDisk::next_pio_read_block()
{
    uint32_t block = std::min(m_transfer.block_sectors, m_transfer.chunk_sectors - m_transfer.chunk_done);
    start_pio_in(size_t { m_transfer.chunk_done } * k_sector_size,
        size_t { m_transfer.chunk_done + block } * k_sector_size);
}

void AtaDisk::write_chunk_begin(bool interrupt)
{
    uint32_t sectors = std::min(m_transfer.remaining, k_chunk_sectors);
    m_transfer.chunk_sectors = sectors;
    m_transfer.chunk_done = 0;
    m_buffer.assign(size_t { sectors } * k_sector_size, 0);
    // PIO data-out: the first block's DRQ comes without an interrupt (ATA8-ACS §11.7).
    uint32_t block = std::min(m_transfer.block_sectors, sectors);
    start_pio_out(0, size_t { block } * k_sector_size, interrupt);
}

void AtaDisk::pio_block_done()
{
    if (m_transfer.chunk_sectors == 0) {
        // IDENTIFY DEVICE: a single block, no interrupt at its end.
        return complete(false);
    }
    uint32_t moved = static_cast<uint32_t>(m_block_end / k_sector_size) - m_transfer.chunk_done;
    m_transfer.chunk_done += moved;
    if (!m_transfer.write) {
        if (m_transfer.chunk_done < m_transfer.chunk_sectors)
            return next_pio_read_block();
        m_transfer.lba += m_transfer.chunk_sectors;
        m_transfer.remaining -= m_transfer.chunk_sectors;
        if (m_transfer.remaining > 0)
            return read_chunk();
        return complete(false); // PIO data-in ends without an interrupt after the last block
    }
    if (m_transfer.chunk_done < m_transfer.chunk_sectors) {
        // The block went to the drive's buffer; ask for the next one at once.
        uint32_t block = std::min(m_transfer.block_sectors, m_transfer.chunk_sectors - m_transfer.chunk_done);
        return start_pio_out(size_t { m_transfer.chunk_done } * k_sector_size,
            size_t { m_transfer.chunk_done + block } * k_sector_size, true);
    }
    write_chunk_submit();
}

void AtaDisk::dma_mapped_transfer(std::vector<std::span<uint8_t>> regions)
{
    DiskRequest request { .op = m_transfer.write ? DiskOp::Write : DiskOp::Read,
        .offset = m_transfer.lba * k_sector_size };
    request.iov.reserve(regions.size());
    for (auto region : regions)
        request.iov.push_back({ region.data(), region.size() });
    submit_io(*m_image, std::move(request), [this](int result) {
        if (m_transfer.write)
            return chunk_written(result);
        if (result < 0) {
            report_lba(m_transfer.lba);
            return fail(k_err_unc);
        }
        m_transfer.lba += m_transfer.chunk_sectors;
        m_transfer.remaining = 0;
        complete();
    });
}

void AtaDisk::write_chunk_submit()
{
    auto buffer = std::make_shared<std::vector<uint8_t>>(std::move(m_buffer));
    m_buffer.clear();
    DiskRequest request { .op = DiskOp::Write, .offset = m_transfer.lba * k_sector_size };
    request.iov.push_back({ buffer->data(), buffer->size() });
    set_busy();
    submit_io(*m_image, std::move(request), [this, buffer](int result) { chunk_written(result); });
}

void AtaDisk::chunk_written(int result)
{
    if (result < 0) {
        report_lba(m_transfer.lba);
        return fail(k_err_abrt);
    }
    if (m_settings.write_cache)
        return after_write();
    // Write cache off: the data must be on the medium before the command goes on.
    submit_io(*m_image, DiskRequest { .op = DiskOp::Flush }, [this](int flushed) {
        if (flushed < 0) {
            report_lba(m_transfer.lba);
            return fail(k_err_abrt);
        }
        after_write();
    });
}

void AtaDisk::after_write()
{
    m_transfer.lba += m_transfer.chunk_sectors;
    m_transfer.remaining -= m_transfer.chunk_sectors;
    if (m_transfer.remaining > 0)
        return write_chunk_begin(true);
    complete();
}

void AtaDisk::flush()
{
    set_busy();
    submit_io(*m_image, DiskRequest { .op = DiskOp::Flush }, [this](int result) {
        if (result < 0)
            return fail(k_err_abrt);
        complete();
    });
}

void AtaDisk::identify_command()
{
    auto words = identify();
    m_buffer.resize(sizeof(words));
    for (size_t i = 0; i < words.size(); ++i) {
        m_buffer[2 * i] = static_cast<uint8_t>(words[i]);
        m_buffer[2 * i + 1] = static_cast<uint8_t>(words[i] >> 8);
    }
    m_transfer = Transfer {}; // chunk_sectors 0 marks a single non-disk block
    start_pio_in(0, m_buffer.size());
}

void AtaDisk::set_features()
{
    auto& s = m_settings;
    switch (m_tf.feature) {
    case k_feature_enable_write_cache:
        s.write_cache = true;
        return complete();
    case k_feature_disable_write_cache:
        s.write_cache = false;
        return complete();
    case k_feature_set_transfer_mode: {
        // Sector Count: 00000xxx PIO default, 00001xxx PIO mode x, 00100xxx MWDMA mode x,
        // 01000xxx UDMA mode x (ATA8-ACS §7.48.3 Table 45).
        uint8_t mode = m_tf.count & 7;
        switch (m_tf.count >> 3) {
        case 0:
            s.pio_mode = 4;
            return complete();
        case 1:
            if (mode > 4)
                break;
            s.pio_mode = mode;
            return complete();
        case 4:
            if (mode > 2)
                break;
            s.mwdma_mode = mode;
            s.udma_mode = 0xff;
            return complete();
        case 8:
            if (mode > 5)
                break;
            s.udma_mode = mode;
            s.mwdma_mode = 0xff;
            return complete();
        default:
            break;
        }
        return fail(k_err_abrt);
    }
    case k_feature_enable_read_lookahead:
    case k_feature_disable_read_lookahead:
    case k_feature_enable_revert:
    case k_feature_disable_revert:
        return complete();
    default:
        return fail(k_err_abrt);
    }
}

void AtaDisk::set_multiple_mode()
{
    // A power of two up to the maximum of word 47; 0 disables the MULTIPLE commands.
    uint8_t count = m_tf.count;
    if (count > k_max_multiple || (count & (count - 1)))
        return fail(k_err_abrt);
    m_settings.multiple_count = count;
    complete();
}

void AtaDisk::initialize_parameters()
{
    uint8_t sectors = m_tf.count;
    if (sectors == 0)
        return fail(k_err_abrt);
    m_settings.heads = static_cast<uint16_t>((m_tf.device & 0x0f) + 1);
    m_settings.sectors_per_track = sectors;
    complete();
}

void AtaDisk::verify_or_seek(bool lba48, bool verify)
{
    auto lba = command_lba(lba48);
    uint32_t count = verify ? command_count(lba48) : 1;
    if (!lba || *lba >= m_sectors || count > m_sectors - *lba)
        return fail(k_err_idnf);
    complete();
}

AtaDisk::State AtaDisk::save() const
{
    State state = m_settings;
    state.registers = save_registers();
    return state;
}

void AtaDisk::restore(const State& state)
{
    m_settings = state;
    m_settings.multiple_count = std::min<uint8_t>(state.multiple_count, k_max_multiple);
    if (m_settings.heads == 0 || m_settings.heads > 16)
        m_settings.heads = k_default_heads;
    if (m_settings.sectors_per_track == 0 || m_settings.sectors_per_track > 255)
        m_settings.sectors_per_track = k_default_sectors_per_track;
    restore_registers(state.registers);
}

} // namespace vireo
