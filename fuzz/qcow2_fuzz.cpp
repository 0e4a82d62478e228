// libFuzzer target for the qcow2 parser and engine: the input becomes an image in a memfd,
// which is opened (header, extensions, L1/refcount tables), read at a few places, then
// written, zeroed and discarded on a private copy. Any outcome but a crash or a sanitizer
// report is fine: bad images must fail to open or return -EIO.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/unique_fd.h"
#include "block/file_io.h"
#include "block/qcow2/qcow2_core.h"
#include "block/qcow2/qcow2_header.h"

using namespace vireo;

namespace {

UniqueFd image_from(const uint8_t* data, size_t size)
{
    UniqueFd fd(::memfd_create("qcow2-fuzz", MFD_CLOEXEC));
    if (fd.valid() && size > 0)
        pwrite_full(fd.get(), { data, size }, 0);
    return fd;
}

// Offsets to touch: the start, a spot chosen by the input's tail, and the end.
std::vector<uint64_t> probe_offsets(uint64_t virtual_size, const uint8_t* data, size_t size)
{
    std::vector<uint64_t> offsets { 0 };
    if (virtual_size == 0)
        return {};
    uint64_t pick = 0;
    for (size_t i = size >= 8 ? size - 8 : 0; i < size; ++i)
        pick = (pick << 8) | data[i];
    offsets.push_back(pick % virtual_size);
    offsets.push_back(virtual_size > 4096 ? virtual_size - 4096 : 0);
    return offsets;
}

void exercise(Access access, const uint8_t* data, size_t size)
{
    auto fd = image_from(data, size);
    if (!fd.valid())
        return;
    auto file_size = vireo::file_size(fd.get());
    if (!file_size)
        return;
    auto header = qcow2::read_header(fd.get(), *file_size, "fuzz.qcow2");
    if (!header)
        return;
    // Backing files are not followed: a fuzzed name must not open host files.
    header->backing_file.clear();
    auto core = qcow2::Qcow2Core::open(std::move(fd), std::move(*header), "fuzz.qcow2", access, nullptr,
        qcow2::MetadataSync::None);
    if (!core)
        return;
    std::vector<uint8_t> buffer(8192);
    for (uint64_t offset : probe_offsets((*core)->size(), data, size)) {
        uint64_t length = std::min<uint64_t>(buffer.size(), (*core)->size() - offset);
        std::vector<iovec> iov { { buffer.data(), length } };
        (*core)->readv(offset, iov);
        if (access == Access::ReadWrite) {
            (*core)->writev(offset, iov);
            (*core)->write_zeroes(offset, length);
            (*core)->discard(offset, length);
            (*core)->readv(offset, iov);
        }
    }
    if (access == Access::ReadWrite)
        (*core)->flush(); // the metadata write-back too
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > (4 << 20))
        return 0;
    exercise(Access::ReadOnly, data, size);
    exercise(Access::ReadWrite, data, size);
    return 0;
}
