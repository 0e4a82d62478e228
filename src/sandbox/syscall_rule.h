#pragma once
// A seccomp allow list as data: one SyscallRule per (system call, argument condition), with the
// reason vireo makes the call. Several rules for one system call are alternatives (any may
// match). Each thread kind's list lives in a file of its own (vcpu_filter.cpp,
// event_loop_filter.cpp, io_worker_filter.cpp, spawner_filter.cpp, display_filter.cpp,
// builder_filter.cpp, and
// thread_runtime_filter.cpp for what the threads the spawner starts share); sandbox.cpp turns them into BPF programs.
#include <seccomp.h>

#include <cstdint>
#include <span>

namespace vireo::sandbox {

// The kinds of thread vireo runs; each installs its own filter when it starts. The spawner is
// the thread that starts the others (thread_spawner.h); the builder makes and unmakes machines
// (builder_thread.h).
enum class ThreadKind : uint8_t { EventLoop, Vcpu, IoWorker, Spawner, Display, Builder };
inline constexpr ThreadKind k_thread_kinds[] = { ThreadKind::EventLoop, ThreadKind::Vcpu, ThreadKind::IoWorker,
    ThreadKind::Spawner, ThreadKind::Display, ThreadKind::Builder };

// "event-loop", "vcpu", "io-worker", "spawner", "display", "builder": how messages and documents
// name the kind.
[[nodiscard]] const char* thread_kind_name(ThreadKind kind);

// (argument[index] & mask) == value; a zero mask matches every call.
struct ArgCondition {
    uint8_t index = 0;
    uint64_t mask = 0;
    uint64_t value = 0;

    [[nodiscard]] constexpr bool any() const { return mask == 0; }
    constexpr bool operator==(const ArgCondition&) const = default;
};

// What a matching call gets. Everything not matched by a rule traps (SIGSYS: the process ends
// with a message naming the call and the thread kind).
enum class RuleAction : uint8_t {
    Allow,
    FailNoSys, // the call fails with ENOSYS and the caller falls back (clone3 -> clone)
    FailPerm,  // the call fails with EPERM and the caller goes on without it (-sandbox resourcecontrol=deny)
};

struct SyscallRule {
    int syscall;           // SCMP_SYS(name)
    ArgCondition condition;
    const char* reason;
    RuleAction action = RuleAction::Allow;
};

constexpr ArgCondition any_args() { return {}; }
// Argument `index` equals value (compared as 64 bits).
constexpr ArgCondition arg_equals(uint8_t index, uint64_t value) { return { index, ~0ULL, value }; }
// Argument `index` has none of these bits set.
constexpr ArgCondition arg_without(uint8_t index, uint64_t bits) { return { index, bits, 0 }; }
// Argument `index` has all of these bits set.
constexpr ArgCondition arg_with(uint8_t index, uint64_t bits) { return { index, bits, bits }; }
// ioctl's request number: the kernel reads it as 32 bits (unsigned int cmd), so only those count.
constexpr ArgCondition ioctl_request(unsigned long request) { return { 1, 0xffff'ffffULL, request & 0xffff'ffffULL }; }

// Each kind's own list (what a thread of that kind calls itself).
[[nodiscard]] std::span<const SyscallRule> event_loop_rules();
[[nodiscard]] std::span<const SyscallRule> vcpu_rules();
[[nodiscard]] std::span<const SyscallRule> io_worker_rules();
[[nodiscard]] std::span<const SyscallRule> spawner_rules();
[[nodiscard]] std::span<const SyscallRule> display_rules();
[[nodiscard]] std::span<const SyscallRule> builder_rules();
// What the event loop's list gains when the machine has user-mode networking (slirp_filter.cpp).
[[nodiscard]] std::span<const SyscallRule> event_loop_slirp_rules();
// What the vCPU, I/O worker and display threads also call, beneath their own work: malloc, free, the
// thread's end, the clock (thread_runtime_filter.cpp).
[[nodiscard]] std::span<const SyscallRule> thread_runtime_rules();
// What the sanitizer runtimes (ASan, UBSan, LSan) call on any thread: empty unless this is a
// sanitizer build (VIREO_SANITIZE).
[[nodiscard]] std::span<const SyscallRule> sanitizer_rules();

} // namespace vireo::sandbox
