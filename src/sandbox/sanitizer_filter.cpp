// What the sanitizer runtimes call on any thread, allowed on every kind in sanitizer builds
// (VIREO_SANITIZE) only: ASan's allocator (its mmap and mprotect are never executable, as the
// lists already allow; its madvise takes any advice), its reports (which read
// /proc/self/maps and write to stderr), LeakSanitizer at exit (a tracer thread that ptraces
// the others), UBSan's reports. A release build's lists have none of these.
#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

#ifdef VIREO_SANITIZER_BUILD
namespace {

constexpr SyscallRule k_rules[] = {
    { SCMP_SYS(munmap), any_args(), "ASan: allocator" },
    { SCMP_SYS(madvise), any_args(), "ASan: allocator returns memory (MADV_DONTNEED, MADV_NOHUGEPAGE...)" },
    { SCMP_SYS(sigaltstack), any_args(), "ASan: each thread's alternate signal stack" },
    { SCMP_SYS(rt_sigaction), any_args(), "ASan: SEGV handlers" },
    { SCMP_SYS(rt_sigprocmask), any_args(), "sanitizer reports and thread start" },
    { SCMP_SYS(getpid), any_args(), "reports name the process" },
    { SCMP_SYS(gettid), any_args(), "reports name the thread" },
    { SCMP_SYS(tgkill), any_args(), "abort after a report" },
    { SCMP_SYS(sched_yield), any_args(), "sanitizer spin locks" },
    { SCMP_SYS(sched_getaffinity), any_args(), "ASan's thread start-up" },
    { SCMP_SYS(openat), any_args(), "reports read /proc/self/maps; LSan reads /proc/self/task" },
    { SCMP_SYS(read), any_args(), "as above" },
    { SCMP_SYS(close), any_args(), "as above" },
    { SCMP_SYS(newfstatat), any_args(), "as above" },
    { SCMP_SYS(readlink), any_args(), "reports name the executable" },
    { SCMP_SYS(pipe2), any_args(), "the runtime tests whether memory is readable by writing it to a pipe" },
    { SCMP_SYS(getdents64), any_args(), "LSan lists threads" },
    { SCMP_SYS(prctl), any_args(), "LSan lets its tracer ptrace (PR_SET_PTRACER), dumpability" },
    { SCMP_SYS(clone), any_args(), "LSan's tracer thread (not CLONE_THREAD)" },
    { SCMP_SYS(ptrace), any_args(), "LSan suspends threads to scan their stacks" },
    { SCMP_SYS(wait4), any_args(), "LSan waits for its tracer, the tracer for each thread it stops" },
    { SCMP_SYS(getppid), any_args(), "LSan's tracer checks its parent" },
    { SCMP_SYS(kill), any_args(), "LSan's tracer and its parent signal each other on failure" },
    { SCMP_SYS(prlimit64), any_args(), "the runtime reads its stack limit" },
    { SCMP_SYS(futex), any_args(), "sanitizer locks" },
    { SCMP_SYS(write), any_args(), "reports" },
    { SCMP_SYS(exit), any_args(), "LSan's tracer ends" },
    { SCMP_SYS(exit_group), any_args(), "a report ends the process" },
};

} // namespace

std::span<const SyscallRule> sanitizer_rules() { return k_rules; }
#else
std::span<const SyscallRule> sanitizer_rules() { return {}; }
#endif

} // namespace vireo::sandbox
