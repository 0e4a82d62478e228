#include "machine/vm_runner.h"

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <optional>

#include "base/log.h"
#include "char/terminal.h"
#include "machine/pc_machine.h"
#include "machine/vcpu_thread.h"

namespace vireo {

namespace {

// The terminal mode stdin needs: none (not used), raw with Ctrl-C still a signal (`-serial
// stdio`, as in QEMU), or raw with every key for the guest (multiplexed: -nographic, mon:stdio).
std::optional<RawTerminal::Signals> stdio_mode(const VmConfig& config)
{
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
    // SIGINT, SIGTERM and SIGHUP are taken by the event loop's signalfd; block them in every
    // thread before any is started. SIGUSR1 kicks vCPUs out of KVM_RUN.
    sigset_t handled;
    sigemptyset(&handled);
    for (int signal_number : { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 })
        sigaddset(&handled, signal_number);
    ::pthread_sigmask(SIG_BLOCK, &handled, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    VcpuThread::install_kick_handler();

    // Raw mode for the whole run, across guest resets; restored when this scope ends.
    std::optional<RawTerminal> terminal;
    if (auto mode = stdio_mode(config))
        terminal.emplace(STDIN_FILENO, *mode);

    while (true) {
        auto machine = PcMachine::create(config);
        if (!machine) {
            terminal.reset();
            log_error("{}", machine.error().describe());
            return 1;
        }
        // Loading read the kernel and initrd into buffers that are gone now: hand their pages back
        // so they don't count against the VMM's own memory for the life of the VM.
        ::malloc_trim(0);
        MachineExit result = (*machine)->run();
        switch (result.reason) {
        case StopReason::Reset:
        case StopReason::Crash:
            // A crash (triple fault) is always worth a line; a reset the guest asked for is not.
            if (result.reason == StopReason::Crash)
                log_warn("guest reset after a {}", result.detail);
            else if (debug_enabled())
                log_warn("guest reset ({})", result.detail.empty() ? "requested by the guest" : result.detail);
            if (!config.no_reboot)
                continue;
            return 0;
        case StopReason::PowerOff:
        case StopReason::Quit:
            return 0;
        case StopReason::Signal:
            terminal.reset();
            log_error("terminating on signal {}", result.detail);
            return 0;
        case StopReason::Error:
            terminal.reset();
            log_error("{}", result.detail);
            return 1;
        }
    }
}

} // namespace vireo
