#include "bus/bus.h"

#include <algorithm>
#include <mutex>

#include "base/log.h"

namespace vireo {

Result<void> Bus::insert(std::shared_ptr<BusDevice> device, uint64_t base, uint64_t length)
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
    m_ranges.emplace(base, Range { length, std::move(device) });
    return {};
}

bool Bus::remove(uint64_t base)
{
    std::unique_lock guard(m_lock);
    return m_ranges.erase(base) > 0;
}

std::shared_ptr<BusDevice> Bus::find(uint64_t address, uint64_t size, uint64_t& offset) const
{
    std::shared_lock guard(m_lock);
    auto it = m_ranges.upper_bound(address);
    if (it == m_ranges.begin())
        return nullptr;
    --it;
    offset = address - it->first;
    if (offset >= it->second.length || size > it->second.length - offset)
        return nullptr;
    return it->second.device;
}

bool Bus::read(uint64_t address, std::span<uint8_t> data) const
{
    uint64_t offset = 0;
    auto device = find(address, data.size(), offset);
    if (!device) {
        std::ranges::fill(data, 0xff);
        // Guests probe for devices that are not there (COM2-4, LPT...): legal, so debug only.
        VIREO_GUEST_DEBUG("{} read of {} bytes at {:#x}: no device", m_name, data.size(), address);
        return false;
    }
    device->read(offset, data);
    return true;
}

bool Bus::write(uint64_t address, std::span<const uint8_t> data) const
{
    uint64_t offset = 0;
    auto device = find(address, data.size(), offset);
    if (!device) {
        VIREO_GUEST_DEBUG("{} write of {} bytes at {:#x}: no device", m_name, data.size(), address);
        return false;
    }
    device->write(offset, data);
    return true;
}

bool Bus::read_string(uint64_t address, size_t width, std::span<uint8_t> data) const
{
    uint64_t offset = 0;
    auto device = width ? find(address, width, offset) : nullptr;
    if (!device) {
        std::ranges::fill(data, 0xff);
        VIREO_GUEST_DEBUG("{} string read of {}x{} bytes at {:#x}: no device", m_name, width ? data.size() / width : 0,
            width, address);
        return false;
    }
    device->read_string(offset, width, data);
    return true;
}

bool Bus::write_string(uint64_t address, size_t width, std::span<const uint8_t> data) const
{
    uint64_t offset = 0;
    auto device = width ? find(address, width, offset) : nullptr;
    if (!device) {
        VIREO_GUEST_DEBUG("{} string write of {}x{} bytes at {:#x}: no device", m_name, width ? data.size() / width : 0,
            width, address);
        return false;
    }
    device->write_string(offset, width, data);
    return true;
}

} // namespace vireo
