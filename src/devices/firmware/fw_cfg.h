#pragma once
// QEMU's firmware configuration device (fw_cfg) on port I/O, as SeaBIOS, OVMF and Linux's
// qemu_fw_cfg driver use it (QEMU docs/specs/fw_cfg.rst). Register it on the PIO bus at
// k_port_base with length k_port_count:
//   offset 0-1   selector: a 16-bit little-endian write selects an item and rewinds it
//   offset 1     data: each byte read returns the next byte of the item, 0 past its end
//                (a wider read returns that many consecutive bytes); writes are ignored
//   offset 4-11  DMA address, a big-endian 64-bit register: a 32-bit write at 4 sets the high
//                half, one at 8 the low half and starts the transfer (as does an 8-byte write
//                at 4); reading it returns the signature "QEMU CFG"
// A DMA transfer reads a FWCfgDmaAccess {be32 control; be32 length; be64 address} from guest
// memory, runs it synchronously and writes the control word back as 0 or ERROR. Every guest
// range goes through GuestMemory's checked accessors: a bad descriptor or buffer sets ERROR.
//
// Items are registered before the guest runs; accesses come from vCPU threads (one mutex).
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "bus/bus_device.h"
#include "memory/guest_memory.h"

namespace vireo {

namespace fw_cfg {

// Fixed keys (QEMU's FW_CFG_*); keys from k_file_first up are files listed in k_file_dir.
constexpr uint16_t k_signature = 0x00;
constexpr uint16_t k_id = 0x01;
constexpr uint16_t k_uuid = 0x02;
constexpr uint16_t k_ram_size = 0x03;
constexpr uint16_t k_nographic = 0x04;
constexpr uint16_t k_nb_cpus = 0x05;
constexpr uint16_t k_boot_menu = 0x0e;
constexpr uint16_t k_max_cpus = 0x0f;
constexpr uint16_t k_file_dir = 0x19;
constexpr uint16_t k_file_first = 0x20;
constexpr uint16_t k_arch_local = 0x8000;
constexpr uint16_t k_irq0_override = k_arch_local + 2;
// Bit 14 of a selector once meant "write"; the item is the same with or without it.
constexpr uint16_t k_write_channel = 0x4000;

// FW_CFG_ID feature bits.
constexpr uint32_t k_feature_traditional = 1u << 0;
constexpr uint32_t k_feature_dma = 1u << 1;

// FWCfgDmaAccess.control bits.
constexpr uint32_t k_dma_error = 0x01;
constexpr uint32_t k_dma_read = 0x02;
constexpr uint32_t k_dma_skip = 0x04;
constexpr uint32_t k_dma_select = 0x08;
constexpr uint32_t k_dma_write = 0x10;

constexpr size_t k_max_file_name = 55;    // 56 bytes with the NUL
constexpr size_t k_dir_entry_size = 64;   // {be32 size, be16 select, be16 reserved, char name[56]}
constexpr uint64_t k_dma_signature = 0x51454d5520434647; // "QEMU CFG", big-endian

} // namespace fw_cfg

class FwCfg final : public BusDevice {
public:
    static constexpr uint16_t k_port_base = 0x510;
    static constexpr uint64_t k_port_count = 12;
    static constexpr uint64_t k_selector_offset = 0;
    static constexpr uint64_t k_data_offset = 1;
    static constexpr uint64_t k_dma_offset = 4;

    enum class Access { ReadOnly, ReadWrite };

    // Registers the signature ("QEMU"), the feature bitmap (traditional + DMA) and the
    // (empty) file directory. memory must outlive the device.
    explicit FwCfg(const GuestMemory& memory);

    // Adds or replaces a fixed item (keys below k_file_first, or arch keys from k_arch_local
    // that are below k_arch_local + k_file_first). The signature, ID and directory are not
    // replaceable.
    [[nodiscard]] Result<void> add_item(uint16_t key, std::vector<uint8_t> data);
    // Little-endian helpers for add_item.
    [[nodiscard]] Result<void> add_u16(uint16_t key, uint16_t value);
    [[nodiscard]] Result<void> add_u32(uint16_t key, uint32_t value);
    [[nodiscard]] Result<void> add_u64(uint16_t key, uint64_t value);

    // Adds a named file (at most fw_cfg::k_max_file_name bytes, unique) and returns its key.
    // Keys are given in registration order and never change; the directory lists the files
    // sorted by name, as QEMU does. Only ReadWrite files accept DMA writes.
    [[nodiscard]] Result<uint16_t> add_file(std::string name, std::vector<uint8_t> data,
        Access access = Access::ReadOnly);

    // The current contents of an item (for the host side of a writable file, and for tests).
    [[nodiscard]] std::optional<std::vector<uint8_t>> item(uint16_t key) const;
    [[nodiscard]] std::optional<uint16_t> file_key(std::string_view name) const;

    // The guest-visible state besides the items: the selection and the DMA address register.
    struct State {
        uint16_t selector = 0;
        uint32_t offset = 0;      // next byte of the selected item
        uint64_t dma_address = 0; // high half as written so far
    };
    [[nodiscard]] State save() const;
    void restore(const State& state);
    // Power-on state: item 0 selected, DMA address 0. Item contents are kept.
    void reset();

    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    struct Item {
        std::vector<uint8_t> data;
        Access access = Access::ReadOnly;
    };
    struct File {
        std::string name;
        uint16_t key;
    };

    Item* selected_item();
    void select(uint16_t selector);
    uint8_t next_byte();
    void rebuild_directory();
    void write_dma_register(uint64_t offset, std::span<const uint8_t> data);

    // DMA (all under m_lock); each returns false for an error the guest sees.
    void run_dma(uint64_t descriptor);
    bool dma_read(uint64_t address, uint32_t length);
    bool dma_write(uint64_t address, uint32_t length);
    void dma_skip(uint32_t length);

    const GuestMemory& m_memory;
    mutable std::mutex m_lock;
    std::map<uint16_t, Item> m_items;
    std::vector<File> m_files; // in key order
    uint16_t m_selector = 0;
    uint32_t m_offset = 0;
    uint64_t m_dma_address = 0;
};

} // namespace vireo
