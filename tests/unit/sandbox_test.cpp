// The seccomp sandbox: for each thread kind, a call outside its list ends the process with a
// message naming the call and the kind (exit status 128 + SIGSYS), and the calls its list
// allows go through. Each test runs in a forked child that prepares the sandbox and enters a
// kind's filter; the parent reads the child's stderr and its exit status.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <liburing.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "machine/vcpu_thread.h"
#include "sandbox/builder_thread.h"
#include "sandbox/sandbox.h"
#include "sandbox/thread_spawner.h"

namespace vireo::sandbox {
namespace {

struct ChildEnd {
    bool exited = false;
    int status = -1;    // exit status when exited
    int signal = 0;     // the signal that ended it otherwise
    std::string output; // its stderr
};

SandboxConfig enabled_config()
{
    SandboxConfig config;
    config.enabled = true; // sanitizer builds default to off; the filters are tested there too
    return config;
}

// Forks; the child sends stderr to a pipe, prepares the sandbox, runs body and exits 0.
ChildEnd run_sandboxed(const std::function<void()>& body, SandboxConfig config = enabled_config())
{
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        return {};
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipe_fds[1], STDERR_FILENO);
        if (auto prepared = prepare(config); !prepared) {
            ssize_t ignored = ::write(STDERR_FILENO, "prepare failed\n", 15);
            (void)ignored;
            ::_exit(2);
        }
        body();
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    ChildEnd end;
    char buffer[512];
    ssize_t n;
    while ((n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0)
        end.output.append(buffer, static_cast<size_t>(n));
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    end.exited = WIFEXITED(status);
    end.status = end.exited ? WEXITSTATUS(status) : -1;
    end.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return end;
}

void enter_kind(ThreadKind kind)
{
    if (auto entered = enter(kind); !entered) {
        ssize_t ignored = ::write(STDERR_FILENO, "enter failed\n", 13);
        (void)ignored;
        ::_exit(3);
    }
}

void expect_killed_for(const ChildEnd& end, const char* syscall, const char* kind)
{
    EXPECT_TRUE(end.exited) << "signal " << end.signal;
    EXPECT_EQ(end.status, k_sigsys_exit_status) << end.output;
    EXPECT_NE(end.output.find(fmt::format("forbidden system call {} (", syscall)), std::string::npos) << end.output;
    EXPECT_NE(end.output.find(fmt::format("on the {} thread", kind)), std::string::npos) << end.output;
    EXPECT_EQ(std::count(end.output.begin(), end.output.end(), '\n'), 1) << "one line: " << end.output;
}

void expect_clean_exit(const ChildEnd& end)
{
    EXPECT_TRUE(end.exited) << "signal " << end.signal;
    EXPECT_EQ(end.status, 0) << end.output;
    EXPECT_EQ(end.output, "");
}

// What every kind does: lock, allocate and free (large blocks are mmap'd), write an eventfd,
// read the clock.
void common_allowed_calls(int event_fd)
{
    std::mutex lock;
    {
        std::lock_guard guard(lock);
    }
    std::vector<uint8_t> big(8 << 20, 1);
    big.clear();
    big.shrink_to_fit();
    uint64_t one = 1;
    if (::write(event_fd, &one, sizeof(one)) != sizeof(one))
        ::_exit(10);
    timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    ::syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now); // as without a vDSO
}

// --- vCPU ---------------------------------------------------------------------------------

// The forbidden calls below are outside the sanitizer runtimes' list too (sanitizer_filter.cpp),
// so the tests hold in every build; those that are not say so.
TEST(SandboxVcpu, MakingASocketEndsTheProcess)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::Vcpu);
        ::socket(AF_INET, SOCK_STREAM, 0);
    });
    expect_killed_for(end, "socket", "vcpu");
}

#ifndef VIREO_SANITIZER_BUILD // the sanitizers read /proc files for their reports
// glibc's free opens /proc/sys/vm/overcommit_memory on whichever thread first shrinks an arena:
// refused, not fatal.
TEST(SandboxVcpu, OpeningAFileIsRefused)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::Vcpu);
        long fd = ::syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
        ::_exit(fd == -1 && errno == EPERM ? 0 : 1);
    });
    EXPECT_EQ(end.status, 0) << end.output;
}
#endif

TEST(SandboxVcpu, AnIoctlOutsideItsListEndsTheProcess)
{
    auto end = run_sandboxed([] {
        int fd = ::eventfd(0, EFD_CLOEXEC);
        enter_kind(ThreadKind::Vcpu);
        ::ioctl(fd, TUNSETIFF, nullptr);
    });
    expect_killed_for(end, "ioctl", "vcpu");
}

TEST(SandboxVcpu, ExecutableMemoryEndsTheProcess)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::Vcpu);
        ::mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    });
    expect_killed_for(end, "mmap", "vcpu");
}

TEST(SandboxVcpu, AllowedCallsWork)
{
    auto end = run_sandboxed([] {
        int event = ::eventfd(0, EFD_CLOEXEC);
        int sockets[2];
        ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets);
        enter_kind(ThreadKind::Vcpu);
        common_allowed_calls(event);
        // KVM_RUN passes the filter (and fails on an eventfd: the filter looks at the number only).
        if (::ioctl(event, KVM_RUN, 0) != -1 || errno != ENOTTY)
            ::_exit(11);
        if (::ioctl(event, KVM_IRQ_LINE, nullptr) != -1)
            ::_exit(12);
        if (::send(sockets[0], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) // serial to a socket chardev
            ::_exit(13);
    });
    expect_clean_exit(end);
}

// --- I/O worker ---------------------------------------------------------------------------

// glibc's malloc counts the CPUs (get_nprocs: /sys/devices/system/cpu/online, refused, then
// sched_getaffinity) on whichever thread first needs another arena: seen on an I/O worker.
TEST(SandboxIoWorker, CountingTheCpusAsMallocDoesWorks)
{
    for (ThreadKind kind : { ThreadKind::IoWorker, ThreadKind::Vcpu }) {
        auto end = run_sandboxed([kind] {
            enter_kind(kind);
            ::_exit(::get_nprocs() >= 1 ? 0 : 1);
        });
        EXPECT_EQ(end.status, 0) << thread_kind_name(kind) << ": " << end.output;
    }
}

TEST(SandboxIoWorker, MakingASocketEndsTheProcess)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::IoWorker);
        ::socket(AF_INET, SOCK_STREAM, 0);
    });
    expect_killed_for(end, "socket", "io-worker");
}

TEST(SandboxIoWorker, AnyIoctlEndsTheProcess)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::IoWorker);
        ::ioctl(0, KVM_RUN, 0);
    });
    expect_killed_for(end, "ioctl", "io-worker");
}

TEST(SandboxIoWorker, AllowedCallsWork)
{
    auto end = run_sandboxed([] {
        int event = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        int file = ::memfd_create("sandbox-test", MFD_CLOEXEC);
        io_uring ring {};
        bool have_ring = io_uring_queue_init(4, &ring, 0) == 0;
        enter_kind(ThreadKind::IoWorker);
        common_allowed_calls(event);
        std::vector<uint8_t> data(65536, 0x5a);
        iovec iov { data.data(), data.size() };
        if (::pwritev(file, &iov, 1, 0) != 65536 || ::preadv(file, &iov, 1, 0) != 65536)
            ::_exit(20);
        if (::pwrite(file, data.data(), 512, 65536) != 512 || ::pread(file, data.data(), 512, 0) != 512)
            ::_exit(21);
        if (::fdatasync(file) != 0 || ::fsync(file) != 0)
            ::_exit(22);
        if (::fallocate(file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) != 0)
            ::_exit(23);
        uint64_t value = 0;
        if (::read(event, &value, sizeof(value)) != sizeof(value))
            ::_exit(24);
        pollfd pfd { event, POLLIN, 0 };
        ::poll(&pfd, 1, 0);
        if (have_ring) {
            io_uring_sqe* sqe = io_uring_get_sqe(&ring);
            io_uring_prep_readv(sqe, file, &iov, 1, 0);
            io_uring_cqe* cqe = nullptr;
            if (io_uring_submit_and_wait(&ring, 1) != 1 || io_uring_peek_cqe(&ring, &cqe) != 0 || cqe->res != 65536)
                ::_exit(25);
        }
    });
    expect_clean_exit(end);
}

// --- event loop ---------------------------------------------------------------------------

TEST(SandboxEventLoop, ExecEndsTheProcess)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::EventLoop);
        char* const argv[] = { nullptr };
        ::execve("/nonexistent/vireo-sandbox-test", argv, argv);
    });
    expect_killed_for(end, "execve", "event-loop");
}

#ifndef VIREO_SANITIZER_BUILD // LeakSanitizer clones its tracer and signals threads
TEST(SandboxEventLoop, ForkEndsTheProcess)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::EventLoop);
        // glibc forks with clone (no CLONE_THREAD): the loop may start no process, nor any thread.
        ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    });
    expect_killed_for(end, "clone", "event-loop");
}

TEST(SandboxEventLoop, ANetlinkSocketEndsTheProcess)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::EventLoop);
        ::socket(AF_NETLINK, SOCK_RAW, 0);
    });
    expect_killed_for(end, "socket", "event-loop");
}

TEST(SandboxEventLoop, SignalsOtherThanTheKickEndTheProcess)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::EventLoop);
        ::syscall(SYS_tgkill, ::getpid(), ::getpid(), SIGUSR2);
    });
    expect_killed_for(end, "tgkill", "event-loop");
}
#endif

TEST(SandboxEventLoop, AllowedCallsWork)
{
    auto end = run_sandboxed([] {
        int event = ::eventfd(0, EFD_CLOEXEC);
        enter_kind(ThreadKind::EventLoop);
        common_allowed_calls(event);
        if (::fcntl(event, F_GETFL) < 0 || ::fcntl(event, F_SETFL, O_NONBLOCK) != 0)
            ::_exit(33);
        uint8_t random[16];
        if (::getrandom(random, sizeof(random), 0) != sizeof(random))
            ::_exit(34);
        sched_param param {};
        if (::sched_setscheduler(0, SCHED_BATCH, &param) != 0 && errno != EPERM)
            ::_exit(35);
    });
    expect_clean_exit(end);
}

TEST(SandboxEventLoop, MakingGuestMemoryEndsTheProcess)
{
    // Machines are built by the builder thread: the loop makes no guest RAM, opens no image.
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::EventLoop);
        ::memfd_create("guest-ram", MFD_CLOEXEC);
    });
    expect_killed_for(end, "memfd_create", "event-loop");
}

TEST(SandboxEventLoop, CreatingAVmEndsTheProcess)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::EventLoop);
        ::ioctl(0, KVM_CREATE_VM, 0);
    });
    expect_killed_for(end, "ioctl", "event-loop");
}

// --- builder ------------------------------------------------------------------------------

TEST(SandboxBuilder, AllowedCallsWork)
{
    auto end = run_sandboxed([] {
        int event = ::eventfd(0, EFD_CLOEXEC);
        enter_kind(ThreadKind::Builder);
        common_allowed_calls(event);
        int memfd = ::memfd_create("guest-ram", MFD_CLOEXEC);
        if (memfd < 0 || ::ftruncate(memfd, 1 << 20) != 0)
            ::_exit(30);
        void* ram = ::mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
        if (ram == MAP_FAILED || ::madvise(ram, 1 << 20, MADV_DONTDUMP) != 0 || ::munmap(ram, 1 << 20) != 0)
            ::_exit(31);
        int file = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (file < 0 || ::fstat(file, &st) != 0 || ::fcntl(file, F_GETFL) < 0 || ::close(file) != 0)
            ::_exit(32);
        int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0 || ::close(sock) != 0)
            ::_exit(33);
    });
    expect_clean_exit(end);
}

TEST(SandboxBuilder, WaitingForTheGuestEndsTheProcess)
{
    // The builder serves no fds: the loop does.
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::Builder);
        epoll_event event {};
        ::epoll_wait(-1, &event, 1, 0);
    });
    expect_killed_for(end, "epoll_wait", "builder");
}

TEST(SandboxBuilder, TheLoopsJobsRunThereUnderItsList)
{
    // What a reset does: the confined loop hands the builder a job and waits for it.
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::EventLoop);
        int memfd = -1;
        run_on_builder([&] { memfd = ::memfd_create("guest-ram", MFD_CLOEXEC); });
        if (memfd < 0)
            ::_exit(40);
        bool thrown = false;
        try {
            run_on_builder([] { throw std::runtime_error("no image"); });
        } catch (const std::runtime_error&) {
            thrown = true;
        }
        if (!thrown)
            ::_exit(41);
        run_on_builder([] { ::socket(AF_NETLINK, SOCK_RAW, 0); });
    });
    expect_killed_for(end, "socket", "builder");
}

// --- the event loop with user-mode networking ----------------------------------------------

SandboxConfig with_user_network()
{
    SandboxConfig config = enabled_config();
    config.user_network = true;
    return config;
}

TEST(SandboxEventLoop, WithoutUserNetworkingAnInternetSocketEndsTheProcess)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::EventLoop);
        ::socket(AF_INET, SOCK_DGRAM, 0);
    });
    expect_killed_for(end, "socket", "event-loop");
}

TEST(SandboxEventLoop, WithUserNetworkingSlirpsCallsWork)
{
    auto end = run_sandboxed(
        [] {
            int event = ::eventfd(0, EFD_CLOEXEC);
            enter_kind(ThreadKind::EventLoop);
            common_allowed_calls(event);
            int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            int one = 1;
            if (sock < 0 || ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
                || ::fcntl(sock, F_SETFD, FD_CLOEXEC) != 0 || ::close(sock) != 0)
                ::_exit(50);
            int file = ::open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
            if (file >= 0)
                ::close(file);
        },
        with_user_network());
    expect_clean_exit(end);
}

TEST(SandboxEventLoop, WithUserNetworkingAUnixSocketStillEndsTheProcess)
{
    // slirp's sockets are the guest's connections, over IPv4 or IPv6: nothing else.
    auto end = run_sandboxed(
        [] {
            enter_kind(ThreadKind::EventLoop);
            ::socket(AF_UNIX, SOCK_STREAM, 0);
        },
        with_user_network());
    expect_killed_for(end, "socket", "event-loop");
}

// --- spawner and spawned threads ----------------------------------------------------------

TEST(SandboxSpawner, MakingASocketEndsTheProcess)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::Spawner);
        ::socket(AF_UNIX, SOCK_STREAM, 0);
    });
    expect_killed_for(end, "socket", "spawner");
}

TEST(SandboxSpawner, AConfinedLoopStartsThreadsOfEachKind)
{
    auto end = run_sandboxed([] {
        int event = ::eventfd(0, EFD_CLOEXEC);
        int file = ::memfd_create("image", MFD_CLOEXEC);
        enter_kind(ThreadKind::EventLoop);
        bool vcpu_ran = false;
        bool worker_ran = false;
        auto vcpu = spawn_thread(ThreadKind::Vcpu, "vcpu0", [&] {
            common_allowed_calls(event);
            vcpu_ran = ::ioctl(event, KVM_RUN, 0) == -1 && errno == ENOTTY;
        });
        auto worker = spawn_thread(ThreadKind::IoWorker, "io-worker", [&] {
            common_allowed_calls(event);
            uint8_t block[512] {};
            worker_ran = ::pwrite(file, block, sizeof(block), 0) == 512 && ::fdatasync(file) == 0;
        });
        vcpu.join();
        worker.join();
        if (!vcpu_ran || !worker_ran)
            ::_exit(40);
    });
    expect_clean_exit(end);
}

TEST(SandboxSpawner, TheLoopKicksAVcpuThreadOutOfAWait)
{
    // What stop, pause and a state report do: pthread_kill(SIGUSR1) from the loop, the vCPU's
    // no-op handler returns (rt_sigreturn), the vCPU sees the request.
    auto end = run_sandboxed([] {
        VcpuThread::install_kick_handler();
        enter_kind(ThreadKind::EventLoop);
        std::mutex lock;
        std::condition_variable changed;
        bool started = false;
        std::atomic<bool> stop { false };
        auto vcpu = spawn_thread(
            ThreadKind::Vcpu, "vcpu0",
            [&] {
                {
                    std::lock_guard guard(lock);
                    started = true;
                }
                changed.notify_all();
                // Stands for KVM_RUN: a blocking call the kicks interrupt.
                std::unique_lock guard(lock);
                changed.wait(guard, [&] { return stop.load(); });
            },
            [] {
                sigset_t kick;
                sigemptyset(&kick);
                sigaddset(&kick, SIGUSR1);
                ::pthread_sigmask(SIG_UNBLOCK, &kick, nullptr);
            });
        {
            std::unique_lock guard(lock);
            changed.wait(guard, [&] { return started; });
        }
        for (int i = 0; i < 3; ++i)
            ::pthread_kill(vcpu.native_handle(), SIGUSR1);
        {
            std::lock_guard guard(lock);
            stop = true;
        }
        changed.notify_all();
        vcpu.join();
    });
    expect_clean_exit(end);
}

TEST(SandboxSpawner, ASpawnedVcpuThreadKeepsItsOwnList)
{
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::EventLoop);
        // A vCPU thread may make no socket.
        auto vcpu = spawn_thread(ThreadKind::Vcpu, "vcpu0", [] { ::socket(AF_UNIX, SOCK_STREAM, 0); });
        vcpu.join();
    });
    expect_killed_for(end, "socket", "vcpu");
}

TEST(SandboxSpawner, ASpawnedIoWorkerKeepsItsOwnList)
{
    auto end = run_sandboxed([] {
        // The spawner's filter allows KVM_RUN (for the vCPUs it starts); an I/O worker's does not.
        auto worker = spawn_thread(ThreadKind::IoWorker, "io-worker", [] { ::ioctl(0, KVM_RUN, 0); });
        worker.join();
    });
    expect_killed_for(end, "ioctl", "io-worker");
}


// --- the lists themselves -----------------------------------------------------------------

TEST(SandboxRules, FewerSystemCallsThanFirecrackerPerThreadKind)
{
#ifdef VIREO_SANITIZER_BUILD
    GTEST_SKIP() << "sanitizer builds add the runtimes' calls to every list";
#endif
    SandboxConfig config;
    // Firecracker's own filters (resources/seccomp/x86_64-unknown-linux-musl.json): 21 calls
    // for a vCPU thread (27 in older releases), 27 for the API thread (31); its VMM thread
    // builds the VM before its filter.
    EXPECT_LT(count_syscalls(effective_rules(ThreadKind::Vcpu, config)), 21u);
    EXPECT_LT(count_syscalls(effective_rules(ThreadKind::IoWorker, config)), 27u);
    // Firecracker has no display thread; its API thread (an HTTP server on a socket: 27 calls)
    // is the nearest: the display thread serves VNC clients on sockets with fewer.
    EXPECT_LT(count_syscalls(effective_rules(ThreadKind::Display, config)), 27u);
    // Firecracker's VMM thread (38 calls; about 50 in older releases) serves its devices and
    // its tap after building the VM; vireo's loop serves the devices and the monitors.
    EXPECT_LT(count_syscalls(effective_rules(ThreadKind::EventLoop, config)), 38u);
    // Firecracker has no user-mode network; with it, the loop makes its sockets too: still
    // fewer than the figure for Firecracker's VMM thread (about 50).
    SandboxConfig user_network = config;
    user_network.user_network = true;
    EXPECT_LT(count_syscalls(effective_rules(ThreadKind::EventLoop, user_network)), 50u);
    // Firecracker builds its VM with no filter at all (installed after), and once: vireo's
    // builder builds every machine under its list. A guard against growth.
    EXPECT_LE(count_syscalls(effective_rules(ThreadKind::Builder, config)), 49u);
    // The spawner's is the lists of the kinds it starts plus what starting a thread takes.
    EXPECT_LT(count_syscalls(effective_rules(ThreadKind::Spawner, config)), 50u);
}

TEST(SandboxRules, EveryKindTheSpawnerStartsIsWithinItsList)
{
    // A thread keeps its creator's filter beneath its own: the spawner's must allow each call
    // (and each argument condition) of the kinds it starts.
    SandboxConfig config;
    auto spawner = effective_rules(ThreadKind::Spawner, config);
    for (ThreadKind kind : { ThreadKind::Vcpu, ThreadKind::IoWorker, ThreadKind::Display }) {
        for (const auto& rule : effective_rules(kind, config)) {
            // Stacked filters give the most restrictive answer: the spawner's Allow leaves a
            // kind's own error answer (glibc's refused open on a vCPU thread) as it is.
            bool covered = std::any_of(spawner.begin(), spawner.end(), [&](const SyscallRule& other) {
                return other.syscall == rule.syscall && (other.condition.any() || other.condition == rule.condition)
                    && (other.action == rule.action || other.action == RuleAction::Allow);
            });
            EXPECT_TRUE(covered) << thread_kind_name(kind) << ": " << rule.syscall << " (" << rule.reason << ")";
        }
    }
}

TEST(SandboxRules, EveryRuleHasAReasonAndNoCallIsBothAllowedAndRefused)
{
    SandboxConfig config;
    for (ThreadKind kind : k_thread_kinds) {
        auto rules = effective_rules(kind, config);
        for (const auto& rule : rules) {
            EXPECT_NE(rule.reason, nullptr);
            EXPECT_GT(std::strlen(rule.reason), 3u) << thread_kind_name(kind) << ": " << rule.syscall;
            for (const auto& other : rules)
                EXPECT_FALSE(other.syscall == rule.syscall && other.action != rule.action) << rule.syscall;
        }
    }
}

TEST(SandboxRules, ArchitectureDocumentListsEachKindAsTheCodeDoes)
{
    // docs/ARCHITECTURE.md's tables come from scripts/sandbox-lists.py: regenerate them when a
    // list changes.
    std::ifstream file(std::string(VIREO_SOURCE_DIR) + "/docs/ARCHITECTURE.md");
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    struct Own {
        const char* name;
        std::span<const SyscallRule> rules;
    };
    for (auto [name, rules] : { Own { "event-loop", event_loop_rules() }, Own { "vcpu", vcpu_rules() },
             Own { "io-worker", io_worker_rules() }, Own { "spawner", spawner_rules() },
             Own { "display", display_rules() }, Own { "builder", builder_rules() },
             Own { "event-loop-slirp", event_loop_slirp_rules() },
             Own { "thread-runtime", thread_runtime_rules() } }) {
        std::vector<SyscallRule> allowed;
        std::copy_if(rules.begin(), rules.end(), std::back_inserter(allowed),
            [](const SyscallRule& rule) { return rule.action == RuleAction::Allow; });
        auto heading = fmt::format("#### {} ({} system calls;", name, count_syscalls(allowed));
        EXPECT_NE(text.find(heading), std::string::npos) << heading;
    }
}

TEST(SandboxRules, ResourceControlDenyRefusesSchedulingChanges)
{
    SandboxConfig config = enabled_config();
    config.resource_control = SandboxSetting::Deny;
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::EventLoop);
        sched_param param {};
        if (::sched_setscheduler(0, SCHED_BATCH, &param) != -1 || errno != EPERM)
            ::_exit(50);
    }, config);
    expect_clean_exit(end);
}

TEST(SandboxRules, SandboxOffFiltersNothing)
{
    SandboxConfig config;
    config.enabled = false;
    auto end = run_sandboxed([] {
        enter_kind(ThreadKind::Vcpu);
        int fd = static_cast<int>(::syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY));
        if (fd < 0)
            ::_exit(60);
    }, config);
    expect_clean_exit(end);
}

} // namespace
} // namespace vireo::sandbox
