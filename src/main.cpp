// vireo: a KVM virtual machine monitor that takes QEMU's options.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "base/log.h"
#include "cli/help.h"
#include "cli/options.h"
#include "machine/vm_runner.h"

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    auto command_line = vireo::parse_command_line(args);
    if (!command_line) {
        vireo::log_error("{}", command_line.error().describe());
        return 1;
    }
    switch (command_line->action) {
    case vireo::CommandLine::Action::Help:
        fmt::print("{}", vireo::help_text());
        return 0;
    case vireo::CommandLine::Action::Version:
        fmt::print("{}", vireo::version_text());
        return 0;
    case vireo::CommandLine::Action::Run:
        break;
    }
    // Not an option: a switch for the benchmark that measures the profiler's cost.
    if (const char* profiler = std::getenv("VIREO_EXIT_PROFILER"); profiler && std::string_view(profiler) == "off")
        command_line->config.exit_profiler = false;
    // Before any thread starts (log.h says why this one setting is global).
    vireo::set_log_timestamps(command_line->config.process.log_timestamps);
    return vireo::run_vm(command_line->config);
}
