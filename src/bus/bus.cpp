#include "bus/bus.h"

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "base/log.h"

namespace vireo {

Result<void> Bus::insert(std::shared_ptr<BusDevice> device, uint64_t base, uint64_t length, std::string_view name)
{
    if (length == 0 || base + length < base)
        return make_error("{} bus: bad range {:#x}+{:#x}", m_name, base, length);
    std::unique_lock guard(m_lock);
    auto next = m_ranges.lower_bound(base);
    if (next != m_ranges.end() && next->first < base + length)
        return make_error("{} bus: range {:#x}+{:#x} overlaps {:#x}", m_name, base, length, next->first);
    if (next != m_ranges.begin()) {
        auto previous = std::prev(next);
        if (previous->first + previous->second.length > base)
            return make_error("{} bus: range {:#x}+{:#x} overlaps {:#x}", m_name, base, length, previous->first);
    }
    auto slot = slot_for(name.empty() ? fmt::format("{}-{:#x}", m_name, base) : std::string(name), base, length);
    m_ranges.emplace(base, Range { length, std::move(device), slot });
    return {};
}

BusSlot Bus::slot_for(std::string name, uint64_t base, uint64_t length)
{
    auto known = std::ranges::find(m_slots, name, &BusSlotInfo::name);
    if (known == m_slots.end() && m_slots.size() < k_max_slots) {
        // The last free slot becomes the one every later name shares.
        if (m_slots.size() + 1 == k_max_slots)
            name = "(other)";
        m_slots.push_back(BusSlotInfo { std::move(name), base, length });
        return static_cast<BusSlot>(m_slots.size() - 1);
    }
    if (known == m_slots.end())
        return static_cast<BusSlot>(k_max_slots - 1);
    known->base = base;
    known->length = length;
    return static_cast<BusSlot>(known - m_slots.begin());
}

std::vector<BusSlotInfo> Bus::slots() const
{
    std::shared_lock guard(m_lock);
    return m_slots;
}

bool Bus::remove(uint64_t base)
{
    std::unique_lock guard(m_lock);
    return m_ranges.erase(base) > 0;
}

Bus::Found Bus::find(uint64_t address, uint64_t size) const
{
    std::shared_lock guard(m_lock);
    auto it = m_ranges.upper_bound(address);
    if (it == m_ranges.begin())
        return {};
    --it;
    uint64_t offset = address - it->first;
    if (offset >= it->second.length || size > it->second.length - offset)
        return {};
    return Found { it->second.device, offset, it->second.slot };
}

BusDispatch Bus::read(uint64_t address, std::span<uint8_t> data) const
{
    auto found = find(address, data.size());
    if (!found.device) {
        std::ranges::fill(data, 0xff);
        // Guests probe for devices that are not there (COM2-4, LPT...): legal, so debug only.
        VIREO_GUEST_DEBUG("{} read of {} bytes at {:#x}: no device", m_name, data.size(), address);
        return {};
    }
    found.device->read(found.offset, data);
    return BusDispatch { found.slot };
}

BusDispatch Bus::write(uint64_t address, std::span<const uint8_t> data) const
{
    auto found = find(address, data.size());
    if (!found.device) {
        VIREO_GUEST_DEBUG("{} write of {} bytes at {:#x}: no device", m_name, data.size(), address);
        return {};
    }
    found.device->write(found.offset, data);
    return BusDispatch { found.slot };
}

BusDispatch Bus::read_string(uint64_t address, size_t width, std::span<uint8_t> data) const
{
    auto found = width ? find(address, width) : Found {};
    if (!found.device) {
        std::ranges::fill(data, 0xff);
        VIREO_GUEST_DEBUG("{} string read of {}x{} bytes at {:#x}: no device", m_name, width ? data.size() / width : 0,
            width, address);
        return {};
    }
    found.device->read_string(found.offset, width, data);
    return BusDispatch { found.slot };
}

BusDispatch Bus::write_string(uint64_t address, size_t width, std::span<const uint8_t> data) const
{
    auto found = width ? find(address, width) : Found {};
    if (!found.device) {
        VIREO_GUEST_DEBUG("{} string write of {}x{} bytes at {:#x}: no device", m_name, width ? data.size() / width : 0,
            width, address);
        return {};
    }
    found.device->write_string(found.offset, width, data);
    return BusDispatch { found.slot };
}

} // namespace vireo
