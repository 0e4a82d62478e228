#include "sandbox/sandbox.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "base/log.h"
#include "base/unique_fd.h"
#include "sandbox/builder_thread.h"
#include "sandbox/thread_spawner.h"

namespace vireo::sandbox {

const char* thread_kind_name(ThreadKind kind)
{
    switch (kind) {
    case ThreadKind::EventLoop:
        return "event-loop";
    case ThreadKind::Vcpu:
        return "vcpu";
    case ThreadKind::IoWorker:
        return "io-worker";
    case ThreadKind::Spawner:
        return "spawner";
    case ThreadKind::Display:
        return "display";
    case ThreadKind::Builder:
        return "builder";
    }
    return "unknown";
}

namespace {

constexpr size_t k_kind_count = std::size(k_thread_kinds);

// System call names for the SIGSYS handler, resolved by prepare() (seccomp_syscall_resolve_num_arch
// allocates, which a signal handler must not): a fixed table the handler only reads.
constexpr int k_named_syscalls = 512;
constexpr size_t k_name_length = 32;
char g_syscall_names[k_named_syscalls][k_name_length];
uint32_t g_native_arch = 0; // AUDIT_ARCH_X86_64 on x86-64: what siginfo's si_arch says

// The compiled filters, one per kind; written once by prepare() before any thread starts.
struct Programs {
    std::array<std::vector<sock_filter>, k_kind_count> filters;
};
Programs* g_programs = nullptr;

// The kind of the calling thread once it has entered; -1 before (it runs under its creator's
// filters). Static TLS of the executable: safe to read in a signal handler.
thread_local int t_kind = -1;

// Async-signal-safe pieces of the SIGSYS message.
struct Line {
    char text[256];
    size_t length = 0;

    void add(const char* part)
    {
        while (*part && length < sizeof(text) - 1)
            text[length++] = *part++;
    }
    void add_number(unsigned long value, unsigned base = 10)
    {
        char digits[24];
        size_t count = 0;
        do {
            unsigned digit = static_cast<unsigned>(value % base);
            digits[count++] = static_cast<char>(digit < 10 ? '0' + digit : 'a' + digit - 10);
            value /= base;
        } while (value != 0 && count < sizeof(digits));
        while (count > 0 && length < sizeof(text) - 1)
            text[length++] = digits[--count];
    }
};

// Not instrumented: under ASan, the _exit below would have the runtime look at a stack it may
// not know yet (a thread that has not entered its filter) and print warnings. The GNU
// spelling of no_sanitize is one that g++ and clang both understand.
__attribute__((no_sanitize("address", "undefined"))) void on_sigsys(int, siginfo_t* info, void*)
{
    Line line;
    line.add("vireo: sandbox: forbidden system call ");
    constexpr int k_code_seccomp = 1; // SYS_SECCOMP (asm-generic/siginfo.h): the trap came from a filter
    if (info->si_code == k_code_seccomp) {
        int number = info->si_syscall;
        bool native = static_cast<uint32_t>(info->si_arch) == g_native_arch;
        if (native && number >= 0 && number < k_named_syscalls && g_syscall_names[number][0] != '\0')
            line.add(g_syscall_names[number]);
        else
            line.add("?");
        line.add(" (");
        line.add_number(static_cast<unsigned long>(static_cast<unsigned>(number)));
        if (!native) {
            line.add(", arch 0x");
            line.add_number(static_cast<unsigned>(info->si_arch), 16);
        }
        line.add(")");
    } else {
        line.add("? (SIGSYS sent by pid ");
        line.add_number(static_cast<unsigned long>(info->si_pid));
        line.add(")");
    }
    line.add(" on the ");
    line.add(t_kind < 0 ? "new (not yet confined)" : thread_kind_name(static_cast<ThreadKind>(t_kind)));
    line.add(" thread; -sandbox off disables the sandbox\n");
    ssize_t ignored = ::write(STDERR_FILENO, line.text, line.length);
    (void)ignored;
    ::_exit(k_sigsys_exit_status);
}

void resolve_syscall_names()
{
    g_native_arch = ::seccomp_arch_native();
    for (int number = 0; number < k_named_syscalls; ++number) {
        char* name = ::seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, number);
        if (!name)
            continue;
        std::strncpy(g_syscall_names[number], name, k_name_length - 1);
        std::free(name);
    }
}

uint32_t seccomp_action(RuleAction action)
{
    switch (action) {
    case RuleAction::Allow:
        return SCMP_ACT_ALLOW;
    case RuleAction::FailNoSys:
        return SCMP_ACT_ERRNO(ENOSYS);
    case RuleAction::FailPerm:
        return SCMP_ACT_ERRNO(EPERM);
    }
    return SCMP_ACT_TRAP;
}

struct FilterContext {
    scmp_filter_ctx ctx = nullptr;
    ~FilterContext()
    {
        if (ctx)
            ::seccomp_release(ctx);
    }
};

// Rules -> BPF through libseccomp, exported into a memfd and read back, so that a thread that
// enters later needs only the seccomp() call itself (no allocation, no libseccomp state).
Result<std::vector<sock_filter>> compile(ThreadKind kind, std::span<const SyscallRule> rules)
{
    FilterContext filter { ::seccomp_init(SCMP_ACT_TRAP) };
    if (!filter.ctx)
        return make_error("seccomp_init failed");
    // Calls of another ABI (int 0x80, x32) are not in any list: trap them too, with a message.
    if (int rc = ::seccomp_attr_set(filter.ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP); rc < 0)
        return std::unexpected(Error { -rc, "seccomp: bad-architecture action" });
    uint8_t priority = 255;
    std::map<int, bool> prioritised;
    for (const auto& rule : rules) {
        // The lists name the hottest calls first (KVM_RUN's ioctl, futex, eventfd writes): the
        // filter tests them first.
        if (!prioritised[rule.syscall]) {
            prioritised[rule.syscall] = true;
            ::seccomp_syscall_priority(filter.ctx, rule.syscall, priority);
            priority = priority > 1 ? static_cast<uint8_t>(priority - 1) : 1;
        }
        int rc = 0;
        if (rule.condition.any()) {
            rc = ::seccomp_rule_add_array(filter.ctx, seccomp_action(rule.action), rule.syscall, 0, nullptr);
        } else {
            scmp_arg_cmp compare {};
            compare.arg = rule.condition.index;
            compare.op = SCMP_CMP_MASKED_EQ;
            compare.datum_a = rule.condition.mask;
            compare.datum_b = rule.condition.value;
            rc = ::seccomp_rule_add_array(filter.ctx, seccomp_action(rule.action), rule.syscall, 1, &compare);
        }
        if (rc < 0)
            return std::unexpected(Error { -rc, fmt::format("seccomp: {} thread: rule for system call {} ({})",
                                                    thread_kind_name(kind), rule.syscall, rule.reason) });
    }
    int raw = ::memfd_create("vireo-seccomp", MFD_CLOEXEC);
    if (raw < 0)
        return errno_error("memfd_create");
    UniqueFd memfd(raw);
    if (int rc = ::seccomp_export_bpf(filter.ctx, memfd.get()); rc < 0)
        return std::unexpected(Error { -rc, "seccomp_export_bpf" });
    off_t size = ::lseek(memfd.get(), 0, SEEK_END);
    if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0)
        return make_error("seccomp: the {} thread's filter has an odd size ({})", thread_kind_name(kind), size);
    std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
    if (::pread(memfd.get(), program.data(), static_cast<size_t>(size), 0) != size)
        return errno_error("seccomp: reading the compiled filter");
    return program;
}

// One rule per (call, condition); where one list refuses a call that another allows (a
// sanitizer runtime's open beside glibc's refused one), the thread allows it.
void add_unique(std::vector<SyscallRule>& merged, const SyscallRule& rule)
{
    for (auto& present : merged) {
        if (present.syscall == rule.syscall && present.condition == rule.condition) {
            if (rule.action == RuleAction::Allow)
                present = rule;
            return;
        }
    }
    merged.push_back(rule);
}

} // namespace

std::vector<SyscallRule> effective_rules(ThreadKind kind, const SandboxConfig& config,
    const std::optional<CredentialChange>& credentials)
{
    std::vector<SyscallRule> merged;
    auto add_all = [&](std::span<const SyscallRule> rules) {
        for (const auto& rule : rules)
            add_unique(merged, rule);
    };
    switch (kind) {
    case ThreadKind::EventLoop:
        add_all(event_loop_rules());
        if (config.user_network)
            add_all(event_loop_slirp_rules());
        break;
    case ThreadKind::Spawner:
        // The spawner creates the vCPU, I/O worker and display threads: a new thread runs under
        // the spawner's filter until it installs its own, and keeps it beneath that, so the
        // spawner's must allow all of theirs.
        add_all(spawner_rules());
        add_all(vcpu_rules());
        add_all(io_worker_rules());
        add_all(display_rules());
        add_all(thread_runtime_rules());
        break;
    case ThreadKind::Vcpu:
        add_all(vcpu_rules());
        add_all(thread_runtime_rules());
        break;
    case ThreadKind::IoWorker:
        add_all(io_worker_rules());
        add_all(thread_runtime_rules());
        break;
    case ThreadKind::Display:
        add_all(display_rules());
        add_all(thread_runtime_rules());
        break;
    case ThreadKind::Builder:
        add_all(builder_rules());
        break;
    }
    add_all(sanitizer_rules());
    if (credentials) {
        const SyscallRule change[] = {
            { SCMP_SYS(setgroups), arg_equals(0, credentials->group_count), "-runas: glibc sets the groups on every thread" },
            { SCMP_SYS(setgid), arg_equals(0, credentials->gid), "-runas: glibc sets the gid on every thread" },
            { SCMP_SYS(setuid), arg_equals(0, credentials->uid), "-runas: glibc sets the uid on every thread" },
            { SCMP_SYS(getpid), any_args(), "-runas: glibc's SIGSETXID handler checks the sender" },
            { SCMP_SYS(rt_sigreturn), any_args(), "-runas: return from glibc's SIGSETXID handler" },
        };
        add_all(change);
    }
    // A call allowed with any arguments needs no conditional rules besides.
    std::erase_if(merged, [&](const SyscallRule& rule) {
        return !rule.condition.any() && std::any_of(merged.begin(), merged.end(), [&](const SyscallRule& other) {
            return other.syscall == rule.syscall && other.condition.any();
        });
    });
    // -sandbox resourcecontrol=deny: scheduling changes fail with EPERM (the loop then stays
    // SCHED_OTHER) instead of being allowed.
    if (config.resource_control == SandboxSetting::Deny) {
        for (auto& rule : merged) {
            if (rule.syscall == SCMP_SYS(sched_setscheduler))
                rule.action = RuleAction::FailPerm;
        }
    }
    return merged;
}

size_t count_syscalls(std::span<const SyscallRule> rules)
{
    std::vector<int> seen;
    for (const auto& rule : rules) {
        if (rule.action == RuleAction::Allow && std::find(seen.begin(), seen.end(), rule.syscall) == seen.end())
            seen.push_back(rule.syscall);
    }
    return seen.size();
}

Result<void> prepare(const SandboxConfig& config, const std::optional<CredentialChange>& credentials)
{
    if (!config.enabled)
        return {};
    if (g_programs)
        return make_error("sandbox: prepared twice");
    auto programs = std::make_unique<Programs>();
    for (ThreadKind kind : k_thread_kinds) {
        auto rules = effective_rules(kind, config, credentials);
        programs->filters[static_cast<size_t>(kind)] = TRY(compile(kind, rules));
    }
    resolve_syscall_names();
    struct sigaction action {};
    action.sa_sigaction = on_sigsys;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    if (::sigaction(SIGSYS, &action, nullptr) < 0)
        return errno_error("sandbox: SIGSYS handler");
    // Filters need no_new_privs (or CAP_SYS_ADMIN); every thread started from here inherits it,
    // and nothing vireo runs may gain privileges through exec (it execs nothing).
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return errno_error("sandbox: PR_SET_NO_NEW_PRIVS");
    g_programs = programs.release(); // for the life of the process: threads enter until its end
    start_spawner();
    start_builder();
    return {};
}

bool active()
{
    return g_programs != nullptr;
}

Result<void> enter(ThreadKind kind)
{
    if (!g_programs)
        return {};
    auto& filter = g_programs->filters[static_cast<size_t>(kind)];
    sock_fprog program { static_cast<unsigned short>(filter.size()), filter.data() };
    int previous = t_kind;
    t_kind = static_cast<int>(kind);
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) < 0) {
        t_kind = previous;
        return errno_error("sandbox: installing the {} thread's filter (-sandbox off runs without one)",
            thread_kind_name(kind));
    }
    return {};
}

void enter_or_exit(ThreadKind kind)
{
    if (auto entered = enter(kind); !entered) {
        log_error("{}", entered.error().describe());
        std::_Exit(1);
    }
}

} // namespace vireo::sandbox
