#pragma once
// An ATAPI CD/DVD-ROM drive (ATA8-ACS PACKET feature set, MMC-5 commands) on a DiskImage of
// 2048-byte sectors, or empty. PACKET takes a 12-byte command through the data register, then
// moves data by PIO (pieces no larger than the byte count limit in LBA Mid/High, the
// interrupt reason in Sector Count) or by DMA (Features bit 0), and ends with a status phase;
// a failed command leaves CHECK CONDITION (ERR, sense key in the Error register) and the sense
// data for REQUEST SENSE.
//
// Media: the tray opens by the guest's START STOP UNIT (unless PREVENT ALLOW MEDIUM REMOVAL
// locked it) or by the host's eject(); a disc the host inserts raises "medium may have
// changed" (unit attention 6/28/00) once, and a media event for GET EVENT STATUS
// NOTIFICATION. Without a disc, medium access reports 2/3A/00.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "devices/ide/ide_drive.h"
#include "devices/ide/mmc_responses.h"

namespace vireo {

class AtapiCdrom final : public IdeDrive {
public:
    static constexpr uint32_t k_chunk_sectors = 32; // 64 KiB per image request

    // Drive state a snapshot needs between commands (the disc itself is the machine's).
    struct State {
        Registers registers;
        bool tray_open = false;
        bool locked = false;
        bool unit_attention = false;
        uint8_t sense_key = 0;
        uint16_t sense_asc = 0;
        mmc::MediaEvent media_event = mmc::MediaEvent::None;
        uint8_t mwdma_mode = 2;
        uint8_t udma_mode = 0xff;
    };
    // Called when the tray opens (true) or closes (false), by the guest or the host; with the
    // channel lock held: it must only record the event (QMP DEVICE_TRAY_MOVED).
    using TrayCallback = std::function<void(bool open)>;

    // `position` = channel * 2 + unit; spec.image may be null (empty drive).
    AtapiCdrom(IdeDriveHost& host, unsigned position, const IdeDriveSpec& spec);

    [[nodiscard]] IdeMedia kind() const override { return IdeMedia::Cdrom; }
    [[nodiscard]] std::array<uint16_t, 256> identify() const;
    [[nodiscard]] const std::shared_ptr<DiskImage>& image() const { return m_image; }
    [[nodiscard]] bool tray_open() const { return m_settings.tray_open; }
    [[nodiscard]] bool locked() const { return m_settings.locked; }

    // Host side (event-loop thread). eject: opens the tray and removes the disc; refused while
    // the guest holds the lock unless `force` (the guest then sees an eject request event).
    [[nodiscard]] Result<void> eject(bool force);
    // Puts a disc in and closes the tray (what blockdev-change-medium does); refused while
    // locked unless `force`.
    [[nodiscard]] Result<void> change_medium(std::shared_ptr<DiskImage> image, bool force);
    void set_tray_callback(TrayCallback callback) { m_tray_callback = std::move(callback); }

    [[nodiscard]] State save() const;
    void restore(const State& state);

protected:
    void execute(uint8_t command) override;
    void pio_block_done() override;
    void dma_transfer_done() override;
    [[nodiscard]] uint8_t ready_status() const override { return ata::k_st_drdy | ata::k_st_dsc; }
    [[nodiscard]] uint8_t reset_status() const override { return 0; }
    void set_signature() override;

private:
    enum class Stage { None, Packet, Data };

    void identify_packet();
    void packet_command();
    void run_packet();
    // Sends `data` (cut to `allocation` bytes) to the host, then good status.
    void send(std::vector<uint8_t> data, size_t allocation);
    void next_piece();
    void read_sectors(uint64_t lba, uint32_t count);
    void read_chunk();
    void data_sent();
    void good_status();
    void check_condition(uint8_t key, uint16_t asc);
    [[nodiscard]] bool medium_present() const { return m_image && !m_settings.tray_open; }
    [[nodiscard]] mmc::DriveView view() const;
    void start_stop_unit();
    void move_tray(bool open);
    void remove_medium();
    void abort_for_media_change();

    std::shared_ptr<DiskImage> m_image;
    std::string m_serial;
    std::string m_model;
    std::string m_firmware;
    State m_settings; // registers unused here: those live in IdeDrive
    TrayCallback m_tray_callback;

    // The command in progress.
    Stage m_stage = Stage::None;
    std::array<uint8_t, scsi::k_packet_size> m_packet {};
    bool m_dma = false;
    uint32_t m_byte_limit = 0;
    size_t m_data_end = 0;       // bytes of m_buffer to send
    uint64_t m_read_lba = 0;     // READ(10/12): next sector to fetch
    uint32_t m_read_remaining = 0;
};

} // namespace vireo
