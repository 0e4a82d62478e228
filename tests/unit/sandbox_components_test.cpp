// vireo's own code under the sandbox, without a guest: in a forked child whose main thread has
// entered the event loop's filter (as after the first machine is built), the calls a reset or a
// monitor command makes (opening raw and qcow2 images with every engine and cache mode, guest
// I/O through them with their worker threads, snapshot=on, slirp with a hostfwd, a chardev's
// Unix socket, guest memory, timers, the loop itself) must go through: any call outside a list
// ends the child with the sandbox's message, which the test prints.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "base/event_fd.h"
#include "base/event_loop.h"
#include "base/timer_fd.h"
#include "block/open_image.h"
#include "block/qcow2/qcow2_create.h"
#include "block_test_util.h"
#include "char/socket_listener.h"
#include "memory/guest_memory.h"
#include "net/slirp_backend.h"
#include "net/tap.h"
#include "sandbox/thread_spawner.h"
#include "sandbox/sandbox.h"

namespace vireo {
namespace {

using test::TempDir;

// Ends the child with `code` and a line on stderr when `ok` is false.
void check(bool ok, int code, const std::string& what)
{
    if (ok)
        return;
    std::string line = fmt::format("check {} failed: {}\n", code, what);
    ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
    ::_exit(code);
}

// Runs body in a child with the sandbox on and the main thread confined as the event loop.
void run_confined(const std::function<void()>& body)
{
    int pipe_fds[2];
    ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipe_fds[1], STDERR_FILENO);
        check(bool(sandbox::prepare(SandboxConfig { .enabled = true })), 2, "prepare");
        check(bool(sandbox::enter(sandbox::ThreadKind::EventLoop)), 3, "enter");
        body();
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    std::string output;
    char buffer[512];
    ssize_t n;
    while ((n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0)
        output.append(buffer, static_cast<size_t>(n));
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << "signal " << WTERMSIG(status) << ": " << output;
    EXPECT_EQ(WEXITSTATUS(status), 0) << output;
    EXPECT_EQ(output.find("sandbox"), std::string::npos) << output;
}

DriveConfig drive(const std::string& path, const std::string& format, AioMode aio, CacheMode cache = CacheMode::Writeback)
{
    DriveConfig config;
    config.file = path;
    config.format = format;
    config.aio = aio;
    config.cache = cache;
    config.discard = true;
    return config;
}

// What a guest's disk traffic does to an image: small and large writes (allocating, on qcow2),
// reads back, flush, discard, write-zeroes; then the image is closed.
void exercise_image(const DriveConfig& config, int code)
{
    auto opened = open_drive_image(config);
    check(bool(opened), code, config.file + ": " + (opened ? "" : opened.error().describe()));
    auto& image = *opened->image;
    auto small = test::pattern(4096, 3);
    auto large = test::pattern(256 << 10, 9); // >= 128 KiB: qcow2's copier threads
    check(test::disk_write(image, 0, small) == 0, code + 1, "small write");
    check(test::disk_write(image, 1 << 20, large) == 0, code + 2, "large write");
    check(test::disk_write(image, 1 << 20, large) == 0, code + 3, "rewrite (mapped path)");
    std::vector<uint8_t> back(large.size());
    check(test::disk_read(image, 1 << 20, back) == 0 && back == large, code + 4, "read back");
    check(test::disk_simple(image, DiskOp::Flush) == 0, code + 5, "flush");
    check(test::disk_simple(image, DiskOp::Discard, 1 << 20, 128 << 10, true) == 0, code + 6, "discard");
    check(test::disk_simple(image, DiskOp::WriteZeroes, 0, 4096, true) == 0, code + 7, "write zeroes");
    opened->image.reset();
}

class SandboxedComponents : public ::testing::Test {
protected:
    void SetUp() override
    {
        UniqueFd qcow2(::open(m_dir.file("disk.qcow2").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        ASSERT_TRUE(qcow2::create_image(qcow2.get(), { 16 << 20, 16 }));
        test::write_file(m_dir.file("base.raw"), std::vector<uint8_t>(16 << 20, 0x11));
        UniqueFd top(::open(m_dir.file("top.qcow2").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        ASSERT_TRUE(qcow2::create_image(top.get(), { 16 << 20, 16, 4, "base.raw", "raw" }));
        test::write_file(m_dir.file("disk.raw"), std::vector<uint8_t>(16 << 20, 0));
    }
    TempDir m_dir;
};

TEST_F(SandboxedComponents, ImagesOpenedAfterConfinementWithEveryEngine)
{
    run_confined([&] {
        exercise_image(drive(m_dir.file("disk.qcow2"), "qcow2", AioMode::IoUring), 10);
        exercise_image(drive(m_dir.file("disk.qcow2"), "qcow2", AioMode::Threads), 20);
        exercise_image(drive(m_dir.file("top.qcow2"), "qcow2", AioMode::IoUring), 30);
        exercise_image(drive(m_dir.file("disk.raw"), "raw", AioMode::Threads), 40);
        exercise_image(drive(m_dir.file("disk.raw"), "raw", AioMode::IoUring), 50);
        exercise_image(drive(m_dir.file("disk.raw"), "", AioMode::IoUring), 60); // probed
        auto snapshot = drive(m_dir.file("disk.qcow2"), "qcow2", AioMode::IoUring);
        snapshot.snapshot = true;
        exercise_image(snapshot, 70);
        // O_DIRECT where the file system has it (not on tmpfs).
        UniqueFd probe(::open(m_dir.file("disk.raw").c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC));
        if (probe) {
            exercise_image(drive(m_dir.file("disk.qcow2"), "qcow2", AioMode::IoUring, CacheMode::None), 80);
            exercise_image(drive(m_dir.file("disk.raw"), "raw", AioMode::Threads, CacheMode::None), 90);
        }
    });
}

TEST_F(SandboxedComponents, LoopTimersSignalsMemoryAndAChardevSocket)
{
    std::string socket_path = m_dir.file("chardev.sock");
    run_confined([&] {
        auto loop = EventLoop::create();
        check(bool(loop), 10, "event loop");
        auto timer = TimerFd::create();
        check(bool(timer), 11, "timerfd");
        int fired = 0;
        check(bool((*loop)->add(timer->fd(), EPOLLIN, [&](uint32_t) {
            timer->consume();
            if (++fired == 2)
                (*loop)->stop();
            else
                timer->arm(std::chrono::microseconds(100));
        })),
            12, "add timer");
        timer->arm(std::chrono::microseconds(100));
        (*loop)->run();
        (*loop)->remove(timer->fd());

        sigset_t signals;
        sigemptyset(&signals);
        sigaddset(&signals, SIGUSR2);
        int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
        check(signal_fd >= 0, 13, "signalfd");
        ::close(signal_fd);

        const GuestRegionSpec regions[] = { { GuestAddress(0), 8 << 20 } };
        auto memory = GuestMemory::create(regions);
        check(bool(memory), 14, memory ? "" : memory.error().describe());
        auto memfd_memory = GuestMemory::create(regions, GuestMemory::Backing::Memfd);
        check(bool(memfd_memory), 15, memfd_memory ? "" : memfd_memory.error().describe());

        ChardevConfig chardev { "socket", "serial0", { { "path", socket_path }, { "server", "on" }, { "wait", "off" } } };
        auto listener = open_socket_listener(chardev);
        check(bool(listener), 16, listener ? "" : listener.error().describe());
        ::unlink(socket_path.c_str());
    });
}

uint16_t free_loopback_port()
{
    UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    ::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
}

TEST_F(SandboxedComponents, SlirpAnswersDhcpAndForwardsAPort)
{
    uint16_t port = free_loopback_port();
    run_confined([port] {
        auto loop = EventLoop::create();
        check(bool(loop), 10, "event loop");
        auto options = SlirpOptions::defaults();
        auto forward = parse_hostfwd(fmt::format("tcp:127.0.0.1:{}-:22", port));
        check(bool(forward), 11, "hostfwd");
        options.forwards.push_back(*forward);
        auto slirp = SlirpBackend::create(**loop, options);
        check(bool(slirp), 12, slirp ? "" : slirp.error().describe());
        // A DHCPDISCOVER from the guest: slirp answers within the process.
        std::vector<uint8_t> frame(14 + 20 + 8 + 236 + 312, 0);
        std::fill(frame.begin(), frame.begin() + 6, 0xff);
        frame[12] = 0x08;
        iovec iov { frame.data(), frame.size() };
        check(bool((*slirp)->send(std::span(&iov, 1))), 13, "send a frame");
        for (int i = 0; i < 3; ++i)
            (*slirp)->run_cycle();
        // A host connection to the forwarded port: slirp accepts it and talks to the guest.
        UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        check(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0, 14, "connect");
        pollfd pfd { (*slirp)->fd(), POLLIN, 0 };
        check(::poll(&pfd, 1, 2000) == 1, 15, "slirp sees the connection");
        for (int i = 0; i < 5; ++i)
            (*slirp)->run_cycle();
        client.reset();
        for (int i = 0; i < 3; ++i)
            (*slirp)->run_cycle();
    });
}

TEST_F(SandboxedComponents, TapOpenedAtAResetAndItsOffloadsSetFromAVcpu)
{
    UniqueFd tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (::geteuid() != 0 || !tun)
        GTEST_SKIP() << "needs root and a usable /dev/net/tun";
    tun.reset();
    // The interface exists only while the child runs and stays down: nothing leaves the machine.
    run_confined([] {
        auto loop = EventLoop::create();
        check(bool(loop), 10, "event loop");
        auto queues = TapBackend::open(**loop, TapOptions { .ifname = "vireos%d" });
        check(bool(queues), 11, queues ? "" : queues.error().describe());
        auto& tap = *queues->front();
        // virtio-net's activation runs on the vCPU that wrote DRIVER_OK.
        bool set = false;
        auto vcpu = sandbox::spawn_thread(sandbox::ThreadKind::Vcpu, "vcpu0",
            [&] { set = bool(tap.set_offloads(NetOffloads { .csum = true, .tso4 = true, .tso6 = true })); });
        vcpu.join();
        check(set, 12, "offloads from a vCPU thread");
        std::vector<uint8_t> buffer(k_max_net_frame);
        check(bool(tap.receive(buffer)), 13, "receive on a down tap");
        tap.set_receive_enabled(true);
        tap.set_receive_enabled(false);
    });
}

} // namespace
} // namespace vireo
