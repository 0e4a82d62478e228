// vireo: a KVM virtual machine monitor that takes QEMU's options.
#include <cstdio>
#include <string>
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
    // Before any thread starts (log.h says why this one setting is global).
    vireo::set_log_timestamps(command_line->config.process.log_timestamps);
    return vireo::run_vm(command_line->config);
}
