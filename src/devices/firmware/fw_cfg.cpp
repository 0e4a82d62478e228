#include "devices/firmware/fw_cfg.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "base/log.h"

namespace vireo {

namespace {

// The descriptor the guest points the DMA address register at (fw_cfg.rst, "Guest-side DMA
// Interface"); every field is big-endian.
struct DmaAccess {
    uint32_t control;
    uint32_t length;
    uint64_t address;
};
static_assert(sizeof(DmaAccess) == 16);

// Zero fill past the end of an item goes to guest memory in pieces of this size.
constexpr size_t k_zero_chunk = 4096;

uint16_t item_key(uint16_t selector) { return static_cast<uint16_t>(selector & ~fw_cfg::k_write_channel); }

void put_be(std::vector<uint8_t>& out, uint64_t value, size_t width)
{
    for (size_t i = 0; i < width; ++i)
        out.push_back(static_cast<uint8_t>(value >> (8 * (width - 1 - i))));
}

std::vector<uint8_t> le_bytes(uint64_t value, size_t width)
{
    std::vector<uint8_t> out(width);
    for (size_t i = 0; i < width; ++i)
        out[i] = static_cast<uint8_t>(value >> (8 * i));
    return out;
}

} // namespace

FwCfg::FwCfg(const GuestMemory& memory)
    : m_memory(memory)
{
    m_items[fw_cfg::k_signature] = Item { { 'Q', 'E', 'M', 'U' }, Access::ReadOnly };
    m_items[fw_cfg::k_id] = Item { le_bytes(fw_cfg::k_feature_traditional | fw_cfg::k_feature_dma, 4), Access::ReadOnly };
    rebuild_directory();
}

Result<void> FwCfg::add_item(uint16_t key, std::vector<uint8_t> data)
{
    const uint16_t index = key & ~fw_cfg::k_arch_local;
    if (key & fw_cfg::k_write_channel || index >= fw_cfg::k_file_first)
        return make_error("fw_cfg: key {:#x} is not a fixed item's key", key);
    if (key == fw_cfg::k_signature || key == fw_cfg::k_id || key == fw_cfg::k_file_dir)
        return make_error("fw_cfg: key {:#x} is the device's own", key);
    if (data.size() > UINT32_MAX)
        return make_error("fw_cfg: item {:#x} is too large", key);
    std::lock_guard guard(m_lock);
    m_items[key] = Item { std::move(data), Access::ReadOnly };
    return {};
}

Result<void> FwCfg::add_u16(uint16_t key, uint16_t value) { return add_item(key, le_bytes(value, 2)); }
Result<void> FwCfg::add_u32(uint16_t key, uint32_t value) { return add_item(key, le_bytes(value, 4)); }
Result<void> FwCfg::add_u64(uint16_t key, uint64_t value) { return add_item(key, le_bytes(value, 8)); }

Result<uint16_t> FwCfg::add_file(std::string name, std::vector<uint8_t> data, Access access)
{
    if (name.empty() || name.size() > fw_cfg::k_max_file_name)
        return make_error("fw_cfg: file name '{}' must have 1 to {} characters", name, fw_cfg::k_max_file_name);
    if (name.find('\0') != std::string::npos)
        return make_error("fw_cfg: file name holds a NUL");
    if (data.size() > UINT32_MAX)
        return make_error("fw_cfg: file '{}' is too large", name);
    std::lock_guard guard(m_lock);
    if (std::ranges::any_of(m_files, [&](const File& file) { return file.name == name; }))
        return make_error("fw_cfg: file '{}' exists already", name);
    // Generic keys end at 0x3fff: bit 14 is the old write channel.
    if (m_files.size() >= fw_cfg::k_write_channel - fw_cfg::k_file_first)
        return make_error("fw_cfg: too many files");
    const auto key = static_cast<uint16_t>(fw_cfg::k_file_first + m_files.size());
    m_files.push_back(File { std::move(name), key });
    m_items[key] = Item { std::move(data), access };
    rebuild_directory();
    return key;
}

std::optional<std::vector<uint8_t>> FwCfg::item(uint16_t key) const
{
    std::lock_guard guard(m_lock);
    auto it = m_items.find(key);
    if (it == m_items.end())
        return std::nullopt;
    return it->second.data;
}

std::optional<uint16_t> FwCfg::file_key(std::string_view name) const
{
    std::lock_guard guard(m_lock);
    for (const auto& file : m_files)
        if (file.name == name)
            return file.key;
    return std::nullopt;
}

void FwCfg::rebuild_directory()
{
    // fw_cfg.rst, "File Directory": be32 count, then 64-byte entries sorted by name.
    std::vector<const File*> sorted;
    for (const auto& file : m_files)
        sorted.push_back(&file);
    std::ranges::sort(sorted, [](const File* a, const File* b) { return a->name < b->name; });

    std::vector<uint8_t> dir;
    dir.reserve(4 + sorted.size() * fw_cfg::k_dir_entry_size);
    put_be(dir, sorted.size(), 4);
    for (const File* file : sorted) {
        put_be(dir, m_items.at(file->key).data.size(), 4);
        put_be(dir, file->key, 2);
        put_be(dir, 0, 2);
        const size_t name_start = dir.size();
        dir.resize(name_start + fw_cfg::k_dir_entry_size - 8, 0);
        std::memcpy(dir.data() + name_start, file->name.data(), file->name.size());
    }
    m_items[fw_cfg::k_file_dir] = Item { std::move(dir), Access::ReadOnly };
}

FwCfg::State FwCfg::save() const
{
    std::lock_guard guard(m_lock);
    return State { m_selector, m_offset, m_dma_address };
}

void FwCfg::restore(const State& state)
{
    std::lock_guard guard(m_lock);
    m_selector = state.selector;
    m_offset = state.offset; // an offset past the end only reads zeros
    m_dma_address = state.dma_address;
}

void FwCfg::reset()
{
    std::lock_guard guard(m_lock);
    select(fw_cfg::k_signature);
    m_dma_address = 0;
}

FwCfg::Item* FwCfg::selected_item()
{
    auto it = m_items.find(item_key(m_selector));
    return it == m_items.end() ? nullptr : &it->second;
}

void FwCfg::select(uint16_t selector)
{
    m_selector = selector;
    m_offset = 0;
}

uint8_t FwCfg::next_byte()
{
    const Item* item = selected_item();
    if (!item || m_offset >= item->data.size())
        return 0;
    return item->data[m_offset++];
}

void FwCfg::read(uint64_t offset, std::span<uint8_t> data)
{
    std::lock_guard guard(m_lock);
    if (offset == k_data_offset) {
        for (auto& byte : data)
            byte = next_byte();
        return;
    }
    for (size_t i = 0; i < data.size(); ++i) {
        const uint64_t at = offset + i;
        if (at >= k_dma_offset && at < k_dma_offset + 8)
            data[i] = static_cast<uint8_t>(fw_cfg::k_dma_signature >> (8 * (7 - (at - k_dma_offset))));
        else
            data[i] = 0xff; // the selector is write-only; offsets 2-3 hold nothing
    }
}

void FwCfg::write(uint64_t offset, std::span<const uint8_t> data)
{
    std::lock_guard guard(m_lock);
    if (offset == k_selector_offset && data.size() == 2) {
        select(static_cast<uint16_t>(data[0] | data[1] << 8));
        return;
    }
    if (offset >= k_dma_offset) {
        write_dma_register(offset - k_dma_offset, data);
        return;
    }
    // Data port writes are ignored since QEMU 2.4 (fw_cfg.rst, "Data Register").
    VIREO_GUEST_DEBUG("fw_cfg: ignored {}-byte write at offset {}", data.size(), offset);
}

void FwCfg::write_dma_register(uint64_t offset, std::span<const uint8_t> data)
{
    // The register is big-endian: the bytes arrive most significant first.
    uint64_t value = 0;
    for (uint8_t byte : data)
        value = value << 8 | byte;
    if (offset == 0 && data.size() == 4) {
        m_dma_address = value << 32;
    } else if (offset == 4 && data.size() == 4) {
        const uint64_t descriptor = (m_dma_address & 0xffff'ffff'0000'0000) | value;
        m_dma_address = 0; // 0 again after an operation
        run_dma(descriptor);
    } else if (offset == 0 && data.size() == 8) {
        m_dma_address = 0;
        run_dma(value);
    } else {
        VIREO_GUEST_DEBUG("fw_cfg: ignored {}-byte write to the DMA register at {}", data.size(), offset);
    }
}

void FwCfg::run_dma(uint64_t descriptor)
{
    auto access = m_memory.read_obj<DmaAccess>(descriptor);
    if (!access) {
        VIREO_GUEST_WARN("fw_cfg: DMA descriptor at {:#x} is not in guest RAM", descriptor);
        return; // nowhere to report the error
    }
    const uint32_t control = std::byteswap(access->control);
    const uint32_t length = std::byteswap(access->length);
    const uint64_t address = std::byteswap(access->address);

    if (control & fw_cfg::k_dma_select)
        select(static_cast<uint16_t>(control >> 16));
    bool ok = true;
    if (control & fw_cfg::k_dma_read)
        ok = dma_read(address, length);
    else if (control & fw_cfg::k_dma_write)
        ok = dma_write(address, length);
    else if (control & fw_cfg::k_dma_skip)
        dma_skip(length);

    const uint32_t result = std::byteswap(ok ? 0u : fw_cfg::k_dma_error);
    if (!m_memory.write_obj<uint32_t>(descriptor, result))
        VIREO_GUEST_WARN("fw_cfg: cannot complete the DMA descriptor at {:#x}", descriptor);
}

bool FwCfg::dma_read(uint64_t address, uint32_t length)
{
    if (length == 0)
        return true;
    if (!m_memory.contains(address, length)) {
        VIREO_GUEST_WARN("fw_cfg: DMA read into [{:#x}, +{:#x}) outside guest RAM", address, length);
        return false;
    }
    // The item's bytes from the offset, then zeros for whatever lies past its end.
    uint32_t copied = 0;
    if (const Item* item = selected_item(); item && m_offset < item->data.size()) {
        copied = static_cast<uint32_t>(std::min<uint64_t>(length, item->data.size() - m_offset));
        if (!m_memory.write(address, std::span(item->data).subspan(m_offset, copied)))
            return false;
        m_offset += copied;
    }
    static constexpr std::array<uint8_t, k_zero_chunk> zeros {};
    for (uint64_t done = copied; done < length;) {
        const size_t chunk = static_cast<size_t>(std::min<uint64_t>(k_zero_chunk, length - done));
        if (!m_memory.write(address + done, std::span(zeros).first(chunk)))
            return false;
        done += chunk;
    }
    return true;
}

bool FwCfg::dma_write(uint64_t address, uint32_t length)
{
    // fw_cfg.rst: a write may neither start nor end past the item; read-only items refuse.
    Item* item = selected_item();
    if (!item || item->access != Access::ReadWrite) {
        VIREO_GUEST_DEBUG("fw_cfg: DMA write to read-only item {:#x}", m_selector);
        return false;
    }
    if (uint64_t(m_offset) + length > item->data.size())
        return false;
    if (length == 0)
        return true;
    if (!m_memory.read(address, std::span(item->data).subspan(m_offset, length))) {
        VIREO_GUEST_WARN("fw_cfg: DMA write from [{:#x}, +{:#x}) outside guest RAM", address, length);
        return false;
    }
    m_offset += length;
    return true;
}

void FwCfg::dma_skip(uint32_t length)
{
    const Item* item = selected_item();
    const uint64_t size = item ? item->data.size() : 0;
    m_offset = static_cast<uint32_t>(std::min<uint64_t>(size, uint64_t(m_offset) + length));
}

} // namespace vireo
