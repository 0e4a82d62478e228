#include "devices/virtio/blk/blk_request.h"

#include <algorithm>

namespace vireo {

using namespace virtio_blk;

namespace {

// [sector, sector + count) lies inside the disk (overflow-safe).
bool in_range(uint64_t sector, uint64_t count, uint64_t capacity)
{
    return sector <= capacity && count <= capacity - sector;
}

void fail(BlkRequest& request, uint8_t status)
{
    request.status = status;
    request.disk.clear();
    request.data_in_length = 0;
}

void parse_segments(const DescriptorChain& chain, const BlkLimits& limits, BlkRequest& request)
{
    bool discard = request.type == k_t_discard;
    if (discard ? !limits.discard : !limits.write_zeroes)
        return fail(request, k_s_unsupp);
    uint64_t length = chain.readable_length() - sizeof(RequestHeader);
    uint32_t max_segments = discard ? limits.max_discard_seg : limits.max_write_zeroes_seg;
    uint32_t max_sectors = discard ? limits.max_discard_sectors : limits.max_write_zeroes_sectors;
    if (length == 0 || length % sizeof(DiscardSegment) != 0 || length / sizeof(DiscardSegment) > max_segments)
        return fail(request, k_s_unsupp);
    if (limits.read_only)
        return fail(request, k_s_ioerr);
    for (uint64_t offset = sizeof(RequestHeader); offset < chain.readable_length(); offset += sizeof(DiscardSegment)) {
        DiscardSegment segment {};
        if (chain.read_from(offset, std::span(reinterpret_cast<uint8_t*>(&segment), sizeof(segment))) != sizeof(segment))
            return fail(request, k_s_ioerr);
        // Discard has no flags; write-zeroes knows only UNMAP (§5.2.6.2).
        uint32_t allowed = discard ? 0 : k_write_zeroes_flag_unmap;
        if (segment.flags & ~allowed)
            return fail(request, k_s_unsupp);
        if (segment.num_sectors > max_sectors || !in_range(segment.sector, segment.num_sectors, limits.capacity_sectors))
            return fail(request, k_s_ioerr);
        if (segment.num_sectors == 0)
            continue;
        DiskRequest disk;
        disk.op = discard ? DiskOp::Discard : DiskOp::WriteZeroes;
        disk.offset = segment.sector * k_sector_size;
        disk.length = uint64_t { segment.num_sectors } * k_sector_size;
        disk.may_unmap = !discard && (segment.flags & k_write_zeroes_flag_unmap);
        request.disk.push_back(std::move(disk));
    }
}

} // namespace

BlkRequest parse_blk_request(const DescriptorChain& chain, const BlkLimits& limits)
{
    BlkRequest request;
    if (chain.writable_length() == 0)
        return request; // has_status = false
    request.has_status = true;
    request.status_offset = chain.writable_length() - 1;

    RequestHeader header {};
    if (chain.readable_length() < sizeof(header)) {
        fail(request, k_s_ioerr);
        return request;
    }
    (void)chain.read_from(0, std::span(reinterpret_cast<uint8_t*>(&header), sizeof(header)));
    request.type = header.type;

    switch (header.type) {
    case k_t_in:
    case k_t_out: {
        bool in = header.type == k_t_in;
        uint64_t length = in ? chain.writable_length() - 1 : chain.readable_length() - sizeof(header);
        if (length % k_sector_size != 0 || length > UINT32_MAX
            || !in_range(header.sector, length / k_sector_size, limits.capacity_sectors)) {
            fail(request, k_s_ioerr);
            break;
        }
        if (!in && limits.read_only) {
            fail(request, k_s_ioerr);
            break;
        }
        if (length == 0)
            break;
        DiskRequest disk;
        disk.op = in ? DiskOp::Read : DiskOp::Write;
        disk.offset = header.sector * k_sector_size;
        disk.iov = in ? chain.writable_iovecs(0, length) : chain.readable_iovecs(sizeof(header), length);
        request.disk.push_back(std::move(disk));
        if (in)
            request.data_in_length = static_cast<uint32_t>(length);
        break;
    }
    case k_t_flush: {
        DiskRequest disk;
        disk.op = DiskOp::Flush;
        request.disk.push_back(std::move(disk));
        break;
    }
    case k_t_get_id:
        // The device writes the serial itself; no disk I/O.
        request.data_in_length = static_cast<uint32_t>(std::min<uint64_t>(k_id_bytes, chain.writable_length() - 1));
        break;
    case k_t_discard:
    case k_t_write_zeroes:
        parse_segments(chain, limits, request);
        break;
    default:
        fail(request, k_s_unsupp);
        break;
    }
    return request;
}

} // namespace vireo
