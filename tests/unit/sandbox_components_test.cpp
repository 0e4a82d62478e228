// vireo's own code under the sandbox, without a guest: in a forked child whose main thread has
// entered the event loop's filter (as after the first machine is built), what a reset or a
// monitor command builds goes through the builder thread, as vireo's does (opening raw and
// qcow2 images with every engine and cache mode, snapshot=on, slirp with a hostfwd, a chardev's
// Unix socket, guest memory, timers, a tap), and what a running guest does runs on the loop
// (guest I/O through the images and their worker threads, slirp's traffic, the loop itself).
// Any call outside a list ends the child with the sandbox's message, which the test prints.
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

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

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
#include "sandbox/builder_thread.h"
#include "sandbox/thread_spawner.h"
#include "sandbox/sandbox.h"
#include "slirp_test_util.h"

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

// Runs body in a child with the sandbox on and the main thread confined as the event loop;
// `unconfined` runs in the child first, while it has one thread and no filter.
void run_confined(const std::function<void()>& body, const std::function<void()>& unconfined = {},
    const SandboxConfig& config = SandboxConfig { .enabled = true })
{
    int pipe_fds[2];
    ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipe_fds[1], STDERR_FILENO);
        if (unconfined)
            unconfined();
        check(bool(sandbox::prepare(config)), 2, "prepare");
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
    Result<OpenedImage> opened = make_error("not opened");
    sandbox::run_on_builder([&] { opened = open_drive_image(config); });
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
    sandbox::run_on_builder([&] { opened->image.reset(); });
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
        bool direct = false;
        sandbox::run_on_builder([&] {
            direct = bool(UniqueFd(::open(m_dir.file("disk.raw").c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC)));
        });
        if (direct) {
            exercise_image(drive(m_dir.file("disk.qcow2"), "qcow2", AioMode::IoUring, CacheMode::None), 80);
            exercise_image(drive(m_dir.file("disk.raw"), "raw", AioMode::Threads, CacheMode::None), 90);
        }
    });
}

TEST_F(SandboxedComponents, LoopTimersSignalsMemoryAndAChardevSocket)
{
    std::string socket_path = m_dir.file("chardev.sock");
    run_confined([&] {
        std::unique_ptr<EventLoop> loop;
        std::optional<TimerFd> timer;
        sandbox::run_on_builder([&] {
            auto created = EventLoop::create();
            check(bool(created), 10, "event loop");
            loop = std::move(*created);
            auto timer_fd = TimerFd::create();
            check(bool(timer_fd), 11, "timerfd");
            timer.emplace(std::move(*timer_fd));
        });
        int fired = 0;
        check(bool(loop->add(timer->fd(), EPOLLIN, [&](uint32_t) {
            timer->consume();
            if (++fired == 2)
                loop->stop();
            else
                timer->arm(std::chrono::microseconds(100));
        })),
            12, "add timer");
        timer->arm(std::chrono::microseconds(100));
        loop->run();
        loop->remove(timer->fd());

        sandbox::run_on_builder([&] {
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
            timer.reset();
        });
    });
}

TEST_F(SandboxedComponents, SlirpAnswersDhcpAndForwardsAPort)
{
    uint16_t port = test::free_loopback_port();
    // A host client of the forwarded port, in a process of its own (forked while the child has
    // one thread: a fork beside running threads can hang under ASan): it connects once the
    // child's slirp listens, then goes.
    auto start_host_client = [port] {
        if (::fork() != 0)
            return;
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        for (int i = 0; i < 500; ++i) {
            UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
            if (::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
                ::poll(nullptr, 0, 200);
                break;
            }
            ::poll(nullptr, 0, 10);
        }
        ::_exit(0);
    };
    run_confined([port] {
        std::unique_ptr<EventLoop> loop;
        std::unique_ptr<SlirpBackend> slirp;
        sandbox::run_on_builder([&] {
            auto created = EventLoop::create();
            check(bool(created), 10, "event loop");
            loop = std::move(*created);
            auto options = SlirpOptions::defaults();
            auto forward = parse_hostfwd(fmt::format("tcp:127.0.0.1:{}-:22", port));
            check(bool(forward), 11, "hostfwd");
            options.forwards.push_back(*forward);
            auto backend = SlirpBackend::create(*loop, options);
            check(bool(backend), 12, backend ? "" : backend.error().describe());
            slirp = std::move(*backend);
        });
        // The loop's filter has no sleep: it waits with poll, as it does for a full terminal.
        auto pause_ms = [](int ms) { ::poll(nullptr, 0, ms); };
        // slirp runs on the loop: a cycle when its epoll set is readable, as the loop runs it.
        auto wait_for_a_frame = [&](int code, const char* what) {
            for (int i = 0; i < 5000 && slirp->pending_frames() == 0; ++i) {
                pollfd pfd { slirp->fd(), POLLIN, 0 };
                if (::poll(&pfd, 1, 1) == 1)
                    slirp->run_cycle();
            }
            std::vector<uint8_t> buffer(k_max_net_frame);
            auto length = slirp->receive(buffer);
            check(length && *length > 0, code, what);
        };
        // The host client's connection: slirp accepts it and talks to the guest (an ARP request
        // for 10.0.2.15, then the SYN).
        wait_for_a_frame(14, "slirp talks to the guest for the host client");
        // A DHCPDISCOVER from the guest: slirp answers within the process.
        auto frame = test::dhcp_discover();
        iovec iov { frame.data(), frame.size() };
        check(bool(slirp->send(std::span(&iov, 1))), 15, "send a frame");
        wait_for_a_frame(16, "slirp answers DHCP");
        for (int i = 0; i < 30; ++i) { // the client goes; slirp sees it
            pause_ms(10);
            slirp->run_cycle();
        }
        sandbox::run_on_builder([&] { slirp.reset(); });
    },
        start_host_client, SandboxConfig { .enabled = true, .user_network = true });
}

TEST_F(SandboxedComponents, TapOpenedAtAResetAndItsOffloadsSetFromAVcpu)
{
    UniqueFd tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (::geteuid() != 0 || !tun)
        GTEST_SKIP() << "needs root and a usable /dev/net/tun";
    tun.reset();
    // The interface exists only while the child runs and stays down: nothing leaves the machine.
    run_confined([] {
        std::unique_ptr<EventLoop> loop;
        std::vector<std::unique_ptr<TapBackend>> queues;
        sandbox::run_on_builder([&] {
            auto created = EventLoop::create();
            check(bool(created), 10, "event loop");
            loop = std::move(*created);
            auto opened = TapBackend::open(*loop, TapOptions { .ifname = "vireos%d" });
            check(bool(opened), 11, opened ? "" : opened.error().describe());
            queues = std::move(*opened);
        });
        auto& tap = *queues.front();
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
        sandbox::run_on_builder([&] { queues.clear(); });
    });
}

} // namespace
} // namespace vireo
