// What every thread the spawner starts (vCPUs, I/O workers) calls beneath its own work: glibc's
// malloc and free, its thread exit, and the clock. Each of those kinds' filters holds these rules
// as well as its own list (sandbox.cpp, effective_rules).
#include <signal.h>
#include <sys/mman.h>

#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

namespace {

constexpr SyscallRule k_rules[] = {
    { SCMP_SYS(clock_gettime), any_args(), "timed waits, RTC and PM timers when the clock has no vDSO" },
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
    { SCMP_SYS(exit), any_args(), "the thread ends (its image is closed, its machine stops or resets)" },
    { SCMP_SYS(exit_group), any_args(), "the process ends (a fatal error, the SIGSYS handler)" },
};

} // namespace

std::span<const SyscallRule> thread_runtime_rules() { return k_rules; }

} // namespace vireo::sandbox
