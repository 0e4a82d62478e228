// The I/O worker threads' allow list: the raw image thread pool (2 per image without io_uring),
// the qcow2 metadata worker (1 per qcow2 image) and the qcow2 copier threads (2 per qcow2 image
// with io_uring). They read and write image files at offsets, sync them, punch holes, and post
// completions to the event loop; they open nothing, create nothing and talk to no socket.

#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

namespace {

constexpr SyscallRule k_rules[] = {
    { SCMP_SYS(futex), any_args(), "the work queues' condition variables, the qcow2 image mutex" },
    { SCMP_SYS(preadv), any_args(), "guest reads (thread pool, qcow2 copiers, qcow2 reads the worker serves)" },
    { SCMP_SYS(pwritev), any_args(), "guest writes, as above" },
    { SCMP_SYS(pread64), any_args(), "qcow2 metadata (L2 tables, refcount blocks), backing files, compressed clusters" },
    { SCMP_SYS(pwrite64), any_args(), "qcow2 metadata write-back, new clusters' contents" },
    { SCMP_SYS(write), any_args(), "completion eventfds (the loop's doorbell)" },
    { SCMP_SYS(io_uring_enter), any_args(), "qcow2: mapped requests, and the worker's own ring filling new clusters" },
    { SCMP_SYS(read), any_args(), "qcow2 worker: consume its copy ring's completion eventfd" },
    { SCMP_SYS(poll), any_args(), "qcow2 worker: wait for its copy ring's completions" },
    { SCMP_SYS(fdatasync), any_args(), "guest flushes; qcow2 metadata barriers" },
    { SCMP_SYS(fsync), any_args(), "guest flushes of images opened for fsync" },
    { SCMP_SYS(fallocate), any_args(), "discard and write-zeroes (punch hole, zero range), qcow2 preallocation" },
    { SCMP_SYS(restart_syscall), any_args(), "a timed poll resumed after the process was stopped and continued" },
};

} // namespace

std::span<const SyscallRule> io_worker_rules() { return k_rules; }

} // namespace vireo::sandbox
