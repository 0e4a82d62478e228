#include "monitor/hmp.h"

#include <fmt/core.h>

#include "monitor/exit_profile_format.h"
#include "monitor/qmp_session.h"

namespace vireo {

namespace {

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' || text.back() == '\r'))
        text.remove_suffix(1);
    return text;
}

// The first word and the rest.
std::pair<std::string_view, std::string_view> split_word(std::string_view text)
{
    text = trim(text);
    size_t end = text.find_first_of(" \t");
    if (end == std::string_view::npos)
        return { text, {} };
    return { text.substr(0, end), trim(text.substr(end)) };
}

std::string status_text(RunState state)
{
    switch (state) {
    case RunState::Running:
        return "VM status: running\r\n";
    case RunState::Paused:
        return "VM status: paused\r\n";
    case RunState::Prelaunch:
        return "VM status: paused (prelaunch)\r\n";
    case RunState::Shutdown:
        return "VM status: paused (shutdown)\r\n";
    }
    return {};
}

constexpr std::string_view k_info_help = "info cpus  -- show infos for each CPU\r\n"
                                         "info kvm  -- show KVM information\r\n"
                                         "info name  -- show the current VM name\r\n"
                                         "info status  -- show the current VM status (running|paused)\r\n"
                                         "info uuid  -- show the current VM UUID\r\n"
                                         "info version  -- show the version of QEMU\r\n";

constexpr std::string_view k_help = "cont|c  -- resume emulation\r\n"
                                    "help|? [cmd]  -- show the help\r\n"
                                    "info [subcommand]  -- show various information about the system state\r\n"
                                    "quit|q  -- quit the emulator\r\n"
                                    "stop|s  -- stop emulation\r\n"
                                    "system_powerdown  -- send system power down event\r\n"
                                    "system_reset  -- reset the system\r\n";

std::string run_info(std::string_view what, MachineControl& control)
{
    if (what.empty())
        return std::string(k_info_help);
    if (what == "status")
        return status_text(control.run_state());
    if (what == "version") {
        auto version = qmp_version_info();
        return fmt::format("7.2.0 ({})\r\n", version["package"].get<std::string>());
    }
    if (what == "name") {
        auto name = control.name();
        return name.empty() ? std::string() : name + "\r\n";
    }
    if (what == "kvm")
        return "kvm support: enabled\r\n";
    if (what == "uuid")
        return control.uuid() + "\r\n";
    if (what == "cpus") {
        std::string text;
        for (const auto& vcpu : control.vcpus())
            text += fmt::format("{} CPU #{}: thread_id={}\r\n", vcpu.index == 0 ? '*' : ' ', vcpu.index, vcpu.thread_id);
        return text;
    }
    if (what == "exits")
        return exit_profile_text(control.exit_profile());
    return fmt::format("unknown command: 'info {}'\r\n", what);
}

} // namespace

std::string run_hmp_command(std::string_view command_line, MachineControl& control)
{
    auto [command, rest] = split_word(command_line);
    if (command.empty())
        return {};
    if (command == "info" || command == "i")
        return run_info(split_word(rest).first, control);
    if (command == "help" || command == "?" || command == "h")
        return std::string(k_help);
    if (command == "stop" || command == "s") {
        control.pause();
        return {};
    }
    if (command == "cont" || command == "c") {
        if (auto resumed = control.resume(); !resumed)
            return resumed.error().message + "\r\n";
        return {};
    }
    if (command == "system_reset") {
        control.reset();
        return {};
    }
    if (command == "system_powerdown") {
        control.press_power_button();
        return {};
    }
    if (command == "quit" || command == "q") {
        control.quit();
        return {};
    }
    return fmt::format("unknown command: '{}'\r\n", command);
}

} // namespace vireo
