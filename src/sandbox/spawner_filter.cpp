// The spawner thread's allow list (thread_spawner.h): it creates every vCPU, I/O worker and
// display thread, so that they do not inherit the event loop's filter. A new thread runs under
// this filter until it installs its own, and keeps it beneath its own: sandbox.cpp therefore
// adds those kinds' lists to this one (effective_rules). What is here is what creating a
// thread takes, in the spawner and in the new thread before its own filter.
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

namespace {

constexpr SyscallRule k_rules[] = {
    { SCMP_SYS(futex), any_args(), "wait for a request; hand the new thread back" },
    { SCMP_SYS(clone), arg_with(0, CLONE_THREAD), "start a thread (never a process)" },
    { SCMP_SYS(clone3), any_args(), "glibc tries clone3 first; ENOSYS makes it use clone, whose flags the filter sees",
        RuleAction::FailNoSys },
    { SCMP_SYS(mmap), arg_without(2, PROT_EXEC), "a new thread's stack (never executable)" },
    { SCMP_SYS(mprotect), arg_without(2, PROT_EXEC), "a new stack's guard page (never executable)" },
    { SCMP_SYS(munmap), any_args(), "stacks of ended threads beyond glibc's cache" },
    { SCMP_SYS(rt_sigprocmask), any_args(), "a thread is created with signals blocked, then takes its mask" },
    { SCMP_SYS(set_robust_list), any_args(), "the new thread, as glibc starts it" },
    { SCMP_SYS(rseq), any_args(), "the new thread, as glibc starts it" },
    { SCMP_SYS(prctl), arg_equals(0, PR_SET_NAME), "the new thread names itself (vcpu0, io-worker...)" },
    { SCMP_SYS(gettid), any_args(), "a vCPU thread records its id (query-cpus-fast)" },
    { SCMP_SYS(seccomp), arg_equals(0, SECCOMP_SET_MODE_FILTER), "the new thread installs its own, narrower filter" },
    { SCMP_SYS(brk), any_args(), "malloc" },
    { SCMP_SYS(write), any_args(), "a log line when a thread cannot be created" },
    { SCMP_SYS(exit_group), any_args(), "the process ends (a fatal error, the SIGSYS handler)" },
};

} // namespace

std::span<const SyscallRule> spawner_rules() { return k_rules; }

} // namespace vireo::sandbox
