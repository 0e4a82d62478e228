#pragma once
// The seccomp sandbox: every thread of vireo runs under the allow list of its kind
// (syscall_rule.h). A system call outside the list ends the process (SIGSYS, then a one-line
// message naming the call and the thread kind, exit status k_sigsys_exit_status).
//
// Filters are per thread and inherited: a thread starts with its creator's filters and adds its
// own; all of them run on every call and the most restrictive answer wins. vCPU, I/O worker
// and display threads are wanted at start, at every reset and on a monitor's media change,
// long after the event loop has its filter; they are made by the spawner thread
// (thread_spawner.h), started by prepare() before any filter, whose filter is its own list plus
// those kinds' lists. Each new thread narrows itself to its kind's list before its body runs.
// The builder (builder_thread.h), also started by prepare(), makes and unmakes machines for the
// event loop.
#include <signal.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "config/vm_config.h"
#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

// The exit status of a process a filter stopped: 128 + SIGSYS, as a shell reports a death by
// that signal.
inline constexpr int k_sigsys_exit_status = 128 + SIGSYS;

// The credentials -runas drops to (confine.h), after threads with filters exist (the spawner, the
// first machine's I/O workers). glibc changes credentials on every thread of the process: it
// signals each one (SIGSETXID), whose handler repeats the call there. So with -runas every
// filter also allows setgroups, setgid and setuid with exactly these values, getpid and
// rt_sigreturn (the handler's). Setting them again later changes nothing.
struct CredentialChange {
    uint32_t uid = 0;
    uint32_t gid = 0;
    size_t group_count = 0;
};

// Once per process, on the main thread, before any other thread starts: compiles every kind's
// filter, installs the SIGSYS handler, sets no_new_privs and starts the spawner and the builder
// (each under its own filter). The main thread is not filtered yet: it enters when it is ready (EventLoop kind).
// Does nothing under -sandbox off; a process never prepared runs unfiltered (unit tests).
[[nodiscard]] Result<void> prepare(const SandboxConfig& config, const std::optional<CredentialChange>& credentials = {});

// The calling thread takes its kind's filter, for good. Nothing happens when the process has
// no sandbox.
[[nodiscard]] Result<void> enter(ThreadKind kind);
// For threads with no one to hand an error to: enter, or end the process with a message (a
// thread that could not be confined must not run).
void enter_or_exit(ThreadKind kind);

// Whether prepare() made filters (the sandbox is on in this process).
[[nodiscard]] bool active();

// The rules a kind's filter is made of: its own list, plus the lists of the kinds the spawner
// starts for the spawner, plus the sanitizer runtime's in sanitizer builds, merged (one rule per
// distinct condition; a call allowed without condition loses its conditional rules).
[[nodiscard]] std::vector<SyscallRule> effective_rules(ThreadKind kind, const SandboxConfig& config,
    const std::optional<CredentialChange>& credentials = {});
// How many distinct system calls the rules allow (those answered with an error do not count).
[[nodiscard]] size_t count_syscalls(std::span<const SyscallRule> rules);

} // namespace vireo::sandbox
