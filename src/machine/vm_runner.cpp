#include "machine/vm_runner.h"

#include <signal.h>
#include <unistd.h>

#include <optional>

#include "base/log.h"
#include "char/terminal.h"
#include "machine/vm_lifecycle.h"
#include "machine/vcpu_thread.h"
#include "net/netdev.h"
#include "process/daemon.h"
#include "process/pid_file.h"
#include "sandbox/builder_thread.h"
#include "sandbox/confine.h"
#include "sandbox/sandbox.h"

namespace vireo {

namespace {

// The terminal mode stdin needs: none (not used), raw with Ctrl-C still a signal (`-serial
// stdio`, as in QEMU), or raw with every key for the guest (multiplexed: -nographic, mon:stdio).
std::optional<RawTerminal::Signals> stdio_mode(const VmConfig& config)
{
    // -monitor stdio: the human monitor edits its own line; Ctrl-C still ends vireo, as in QEMU.
    for (const auto& monitor : config.monitors) {
        if (monitor.chardev.backend == "stdio")
            return RawTerminal::Signals::Keep;
    }
    if (config.serials.empty())
        return config.nographic ? std::optional(RawTerminal::Signals::ToGuest) : std::nullopt;
    for (const auto& serial : config.serials) {
        if (serial.backend == SerialBackend::MonStdio)
            return RawTerminal::Signals::ToGuest;
        if (serial.backend == SerialBackend::Stdio)
            return RawTerminal::Signals::Keep;
    }
    return std::nullopt;
}

} // namespace

int run_vm(const VmConfig& config)
{
    // -daemonize forks first: a process with threads cannot fork them along.
    std::optional<Daemon> daemon;
    if (config.process.daemonize) {
        auto started = Daemon::start();
        if (!started) {
            log_error("{}", started.error().describe());
            return 1;
        }
        daemon.emplace(std::move(*started));
    }
    std::optional<PidFile> pid_file;
    if (!config.process.pid_file.empty()) {
        auto created = PidFile::create(config.process.pid_file);
        if (!created) {
            log_error("{}", created.error().describe());
            return 1;
        }
        pid_file.emplace(std::move(*created));
    }

    // SIGINT, SIGTERM and SIGHUP are taken by the event loop's signalfd; block them in every
    // thread before any is started. SIGUSR1 kicks vCPUs out of KVM_RUN.
    sigset_t handled;
    sigemptyset(&handled);
    for (int signal_number : { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 })
        sigaddset(&handled, signal_number);
    ::pthread_sigmask(SIG_BLOCK, &handled, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    VcpuThread::install_kick_handler();

    // The filters are compiled and the spawner started now, before any other thread, with the
    // signals above blocked (threads inherit the spawner's mask). The loop's thread enters its
    // filter once the first machine is built (confine_process).
    auto run_as = sandbox::resolve_run_as(config.containment.run_as);
    if (!run_as) {
        log_error("{}", run_as.error().describe());
        return 1;
    }
    std::optional<sandbox::CredentialChange> credentials;
    if (*run_as)
        credentials = sandbox::CredentialChange { (*run_as)->uid, (*run_as)->gid, (*run_as)->groups.size() };
    // The loop's list holds slirp's socket calls only for a machine with user-mode networking.
    SandboxConfig sandbox_config = config.sandbox;
    sandbox_config.user_network = uses_user_network(config);
    if (auto prepared = sandbox::prepare(sandbox_config, credentials); !prepared) {
        log_error("{}", prepared.error().describe());
        return 1;
    }

    // Raw mode for the whole run, across guest resets; restored when this scope ends.
    std::optional<RawTerminal> terminal;
    if (auto mode = stdio_mode(config))
        terminal.emplace(STDIN_FILENO, *mode);

    auto end = VmLifecycle(config).run([&] {
        return sandbox::confine_process(config.containment, *run_as, [&]() -> Result<void> {
            return daemon ? daemon->ready() : Result<void> {};
        });
    });
    terminal.reset();
    sandbox::run_on_builder([&] { pid_file.reset(); }); // the loop's filter does not allow unlink
    if (!end.message.empty())
        log_error("{}", end.message);
    return end.status;
}

} // namespace vireo
