#pragma once
// I/O on a file that may be open with O_DIRECT, which wants file offsets, lengths and buffer
// addresses aligned to the device's logical block: aligned requests go straight to the file,
// the others bounce through an aligned buffer (a write of partial blocks reads them first).
// An alignment of 1 means a buffered file: everything goes straight.
#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <vector>

#include "block/io_engine.h"

namespace vireo {

// What O_DIRECT on fd demands (statx STATX_DIOALIGN, else 4096); 1 when fd is buffered.
[[nodiscard]] uint64_t direct_io_alignment(int fd);

// True when offset, every buffer address and every length are multiples of alignment.
[[nodiscard]] bool io_aligned(uint64_t alignment, uint64_t offset, std::span<const iovec> iov);

// As pread_full / pwrite_full (0 or -errno), for a file with the given alignment.
int pread_aligned(int fd, uint64_t alignment, std::span<uint8_t> buffer, uint64_t offset);
int pwrite_aligned(int fd, uint64_t alignment, std::span<const uint8_t> data, uint64_t offset);
// A synchronous read into iovecs (as perform_io), bouncing when they are not aligned.
int readv_aligned(int fd, uint64_t alignment, const std::vector<iovec>& iov, uint64_t offset);

// Submits a Read or Write to engine, bouncing when it is not aligned; the callback gets the
// engine's result. A bounced write of partial blocks is a read-modify-write: a concurrent
// write to the other bytes of those blocks could be lost, so callers keep such writes rare
// (guests write whole 512-byte sectors, and the alignment is usually 512).
void submit_aligned(IoEngine& engine, uint64_t alignment, IoRequest request, IoCallback done);

} // namespace vireo
