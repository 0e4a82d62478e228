// The I/O worker threads' allow list: the raw image thread pool (2 per image without io_uring),
// the qcow2 metadata worker (1 per qcow2 image) and the qcow2 copier threads (2 per qcow2 image
// with io_uring). They read and write image files at offsets, sync them, punch holes, and post
// completions to the event loop; they open nothing, create nothing and talk to no socket.
#include <signal.h>
#include <sys/mman.h>

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
    { SCMP_SYS(clock_gettime), any_args(), "timed waits when the clock has no vDSO" },
    { SCMP_SYS(restart_syscall), any_args(), "a timed poll resumed after the process was stopped and continued" },
    { SCMP_SYS(mmap), arg_without(2, PROT_EXEC), "malloc, aligned bounce buffers (never executable)" },
    { SCMP_SYS(mprotect), arg_without(2, PROT_EXEC), "malloc growing its arena (never executable)" },
    { SCMP_SYS(munmap), any_args(), "free" },
    { SCMP_SYS(madvise), arg_equals(2, MADV_DONTNEED), "free returning arena pages; the thread's stack at its end" },
    { SCMP_SYS(brk), any_args(), "malloc in the main arena (shared once threads outnumber arenas)" },
    { SCMP_SYS(openat), any_args(), "glibc's malloc reads /sys and /proc files once (CPU count, overcommit); refused, it falls back",
        RuleAction::FailPerm },
    { SCMP_SYS(sched_getaffinity), any_args(), "glibc's malloc counts the CPUs (its arena limit) once, on whichever thread first needs it" },
    { SCMP_SYS(mremap), any_args(), "realloc of a large block (zlib, zstd)" },
    { SCMP_SYS(rt_sigprocmask), arg_equals(0, SIG_BLOCK), "glibc blocks every signal as the thread ends" },
    { SCMP_SYS(exit), any_args(), "the thread ends (the image is closed)" },
    { SCMP_SYS(exit_group), any_args(), "the process ends (a fatal error, the SIGSYS handler)" },
};

} // namespace

std::span<const SyscallRule> io_worker_rules() { return k_rules; }

} // namespace vireo::sandbox
