#include "devices/chipset/pam.h"

#include <algorithm>
#include <cstring>

#include "base/log.h"

namespace vireo {

namespace {

constexpr uint64_t k_small_segment = 16 * 1024;
constexpr size_t k_small_segments = 12; // 0xC0000-0xEFFFF

// Segment i (in address order) is described by register `index`, nibble `nibble` (0 low, 1 high).
struct RegisterField {
    size_t index;
    unsigned nibble;
};

RegisterField field_of(size_t segment)
{
    if (segment == k_small_segments)
        return { 0, 1 }; // PAM0 bits 5:4: 0xF0000-0xFFFFF (bits 3:0 reserved)
    return { 1 + segment / 2, static_cast<unsigned>(segment % 2) };
}

// The segment holding `address` (inside the area).
size_t segment_of(uint64_t address)
{
    const uint64_t small_end = Pam::k_area_start + k_small_segments * k_small_segment;
    return address < small_end ? (address - Pam::k_area_start) / k_small_segment : k_small_segments;
}

bool readable(Pam::Attribute attribute)
{
    return attribute == Pam::Attribute::ReadOnly || attribute == Pam::Attribute::ReadWrite;
}

bool writable(Pam::Attribute attribute)
{
    return attribute == Pam::Attribute::WriteOnly || attribute == Pam::Attribute::ReadWrite;
}

} // namespace

class Pam::Window final : public BusDevice {
public:
    explicit Window(Pam& pam)
        : m_pam(pam)
    {
    }
    void read(uint64_t offset, std::span<uint8_t> data) override { m_pam.read(offset, data); }
    void write(uint64_t offset, std::span<const uint8_t> data) override { m_pam.write(offset, data); }

private:
    Pam& m_pam;
};

Pam::Pam(MemorySlots& slots, std::span<uint8_t> ram, std::span<uint8_t> rom)
    : m_slots(slots)
    , m_ram(ram)
    , m_rom(rom.size() > k_area_size ? rom.last(k_area_size) : rom)
{
}

Pam::~Pam()
{
    for (auto& slot : m_mapped) {
        if (slot)
            m_slots.unmap_slot(*slot);
    }
}

std::array<uint8_t, Pam::k_register_count> Pam::open_registers()
{
    std::array<uint8_t, k_register_count> values;
    values.fill(0x33);
    values[0] = 0x30;
    return values;
}

Pam::Segment Pam::segment(size_t index)
{
    if (index < k_small_segments)
        return { k_area_start + index * k_small_segment, k_small_segment };
    return { k_area_start + k_small_segments * k_small_segment, k_area_end - (k_area_start + k_small_segments * k_small_segment) };
}

std::span<uint8_t> Pam::rom_for(size_t index) const
{
    // The ROM occupies the top of the area: [k_area_end - m_rom.size(), k_area_end).
    const auto seg = segment(index);
    const uint64_t rom_start = k_area_end - m_rom.size();
    if (seg.start < rom_start)
        return {};
    return m_rom.subspan(seg.start - rom_start, seg.size);
}

Pam::Attribute Pam::attribute(size_t segment_index) const
{
    std::lock_guard guard(m_lock);
    return m_attributes.at(segment_index);
}

Result<void> Pam::map_segment(size_t index, Attribute attribute)
{
    const auto seg = segment(index);
    if (m_mapped[index]) {
        m_slots.unmap_slot(*m_mapped[index]);
        m_mapped[index].reset();
    }
    m_attributes[index] = attribute;
    uint8_t* host = nullptr;
    SlotAccess access = SlotAccess::ReadOnly;
    if (readable(attribute)) {
        host = m_ram.data() + (seg.start - k_area_start);
        access = attribute == Attribute::ReadWrite ? SlotAccess::ReadWrite : SlotAccess::ReadOnly;
    } else if (auto rom = rom_for(index); !rom.empty()) {
        host = rom.data();
    }
    if (host)
        m_mapped[index] = TRY(m_slots.map_slot(seg.start, seg.size, host, access));
    return {};
}

Result<void> Pam::set_registers(std::span<const uint8_t, k_register_count> values)
{
    std::lock_guard guard(m_lock);
    for (size_t index = 0; index < k_segment_count; ++index) {
        auto field = field_of(index);
        auto bits = static_cast<uint8_t>((values[field.index] >> (field.nibble * 4)) & 3);
        auto attribute = static_cast<Attribute>(bits);
        if (!m_initialised || attribute != m_attributes[index])
            TRY(map_segment(index, attribute));
    }
    m_initialised = true;
    return {};
}

std::shared_ptr<BusDevice> Pam::window()
{
    return std::make_shared<Window>(*this);
}

// Reads that reach here hit a segment without a slot: PCI space with nothing behind it.
void Pam::read(uint64_t offset, std::span<uint8_t> data)
{
    std::lock_guard guard(m_lock);
    std::ranges::fill(data, 0xff);
    if (offset >= k_area_size || data.size() > k_area_size - offset)
        return;
    for (size_t i = 0; i < data.size(); ++i) {
        const uint64_t address = k_area_start + offset + i;
        size_t index = segment_of(address);
        if (readable(m_attributes[index]))
            data[i] = m_ram[offset + i];
        else if (auto rom = rom_for(index); !rom.empty())
            data[i] = rom[address - segment(index).start];
    }
}

// Writes exit here when their segment's slot is read-only (or absent): DRAM takes them only if
// the segment is write-enabled.
void Pam::write(uint64_t offset, std::span<const uint8_t> data)
{
    std::lock_guard guard(m_lock);
    if (offset >= k_area_size || data.size() > k_area_size - offset)
        return;
    for (size_t i = 0; i < data.size(); ++i) {
        const uint64_t address = k_area_start + offset + i;
        size_t index = segment_of(address);
        if (writable(m_attributes[index]))
            m_ram[offset + i] = data[i];
    }
}

} // namespace vireo
