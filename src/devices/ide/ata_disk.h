#pragma once
// An ATA hard disk (ATA8-ACS, General and 48-bit Address feature sets) on a DiskImage:
// IDENTIFY DEVICE; READ/WRITE SECTOR(S), MULTIPLE and DMA, 28- and 48-bit, CHS or LBA;
// READ VERIFY, SEEK, FLUSH CACHE (EXT), SET FEATURES (transfer mode, write cache),
// SET MULTIPLE MODE, INITIALIZE DEVICE PARAMETERS, EXECUTE DEVICE DIAGNOSTIC and the power
// commands as no-ops. Everything else is aborted (ABRT); a range past the disk is IDNF.
//
// PIO transfers move in chunks of up to k_chunk_sectors: each chunk is one request to the
// image, submitted from the vCPU thread's command write (or the previous chunk's completion)
// and completed on the event loop, which then presents the data in DRQ blocks (one sector, or
// the multiple count). A DMA command is one request for all its sectors, straight between the
// image and the guest regions the bus master maps when the guest starts it. With the write
// cache off, every chunk written is followed by a flush before the command goes on.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "devices/ide/ide_drive.h"

namespace vireo {

class AtaDisk final : public IdeDrive {
public:
    static constexpr uint32_t k_chunk_sectors = 256; // 128 KiB per image request

    // Settings the guest changes, with the registers: all a snapshot needs between commands.
    struct State {
        Registers registers;
        uint8_t multiple_count = 0;   // SET MULTIPLE MODE; 0 = READ/WRITE MULTIPLE disabled
        bool write_cache = true;      // SET FEATURES 02h/82h
        uint8_t pio_mode = 4;
        uint8_t mwdma_mode = 2;       // selected MWDMA mode, 0xff = none
        uint8_t udma_mode = 0xff;     // selected UDMA mode, 0xff = none
        uint16_t heads = 16;          // INITIALIZE DEVICE PARAMETERS (CHS translation)
        uint16_t sectors_per_track = 63;
    };

    // `position` = channel * 2 + unit; spec.image must be set.
    AtaDisk(IdeDriveHost& host, unsigned position, const IdeDriveSpec& spec);

    [[nodiscard]] IdeMedia kind() const override { return IdeMedia::Disk; }
    [[nodiscard]] uint64_t sectors() const { return m_sectors; }
    [[nodiscard]] const std::shared_ptr<DiskImage>& image() const { return m_image; }
    // The 256 IDENTIFY DEVICE words as the device would answer now.
    [[nodiscard]] std::array<uint16_t, 256> identify() const;

    [[nodiscard]] State save() const;
    void restore(const State& state);

protected:
    void execute(uint8_t command) override;
    void pio_block_done() override;
    void dma_mapped_transfer(std::vector<std::span<uint8_t>> regions) override;
    [[nodiscard]] uint8_t ready_status() const override { return ata::k_st_drdy | ata::k_st_dsc; }
    void set_signature() override;

private:
    enum class Access { Pio, Multiple, Dma };
    struct Transfer {
        bool write = false;
        uint64_t lba = 0;            // first sector of the current chunk
        uint32_t remaining = 0;      // sectors from lba to the end of the command
        uint32_t block_sectors = 1;  // sectors per DRQ block
        uint32_t chunk_sectors = 0;  // sectors in the current chunk
        uint32_t chunk_done = 0;     // of those, moved by the guest (PIO)
    };

    void start_transfer(bool write, Access access, bool lba48);
    void read_chunk();
    void write_chunk_begin(bool interrupt);
    void write_chunk_submit();
    void chunk_written(int result); // a chunk's write completed (then a flush if the cache is off)
    void after_write();
    void next_pio_read_block();
    void flush();
    void identify_command();
    void set_features();
    void set_multiple_mode();
    void initialize_parameters();
    void verify_or_seek(bool lba48, bool verify);
    // The command's starting sector and count from the task file; nullopt if CHS is invalid.
    [[nodiscard]] std::optional<uint64_t> command_lba(bool lba48) const;
    [[nodiscard]] uint32_t command_count(bool lba48) const;
    void report_lba(uint64_t lba); // the failing sector, in the task file (ATA8-ACS error outputs)

    std::shared_ptr<DiskImage> m_image;
    uint64_t m_sectors = 0;
    bool m_read_only = false;
    std::string m_serial;
    std::string m_model;
    std::string m_firmware;
    State m_settings; // registers unused here: those live in IdeDrive
    Transfer m_transfer;
};

} // namespace vireo
