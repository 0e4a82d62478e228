#include "monitor/hmp.h"

#include <fmt/core.h>

#include <array>
#include <cctype>
#include <charconv>

#include "monitor/guest_page_walk.h"
#include "monitor/hmp_commands.h"
#include "monitor/memory_dump.h"

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

// The first word and the rest. A '/' also ends the word, so "x/4xw 0" is "x" and "/4xw 0".
std::pair<std::string_view, std::string_view> split_word(std::string_view text)
{
    text = trim(text);
    size_t end = text.find_first_of(" \t/");
    if (end == 0)
        end = text.find_first_of(" \t");
    if (end == std::string_view::npos)
        return { text, {} };
    return { text.substr(0, end), trim(text.substr(end)) };
}

std::string usage_error(std::string_view message, std::string_view command)
{
    return fmt::format("{}\r\nTry \"help {}\" for more information\r\n", message, command);
}

// An address: a number in C's notation (0x hex, 0 octal, decimal), as QEMU's expressions
// start. Its registers and arithmetic are not taken.
Result<uint64_t> parse_address(std::string_view text)
{
    if (text.empty())
        return make_error("unexpected end of expression");
    int base = 10;
    if (text.starts_with("0x") || text.starts_with("0X")) {
        base = 16;
        text.remove_prefix(2);
    } else if (text.size() > 1 && text.front() == '0') {
        base = 8;
        text.remove_prefix(1);
    }
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (error == std::errc::result_out_of_range)
        return make_error("number too large");
    if (base == 16 && text.empty())
        return make_error("extraneous characters at the end of line"); // "0x": QEMU reads 0, then the 'x'
    if (error != std::errc() && end == text.data())
        return make_error("invalid char in expression");
    if (end != text.data() + text.size())
        return make_error("extraneous characters at the end of line");
    return value;
}

std::string run_memory_dump(std::string_view command, std::string_view arguments, MachineControl& control)
{
    DumpFormat format;
    if (arguments.starts_with('/')) {
        auto after = arguments.substr(1);
        size_t end = after.find_first_of(" \t");
        auto parsed = parse_dump_format(after.substr(0, end));
        if (!parsed)
            return usage_error(parsed.error().message, command);
        format = *parsed;
        arguments = end == std::string_view::npos ? std::string_view() : trim(after.substr(end));
    }
    auto address = parse_address(arguments);
    if (!address) {
        if (address.error().message.starts_with("extraneous"))
            return usage_error(fmt::format("{}: {}", command, address.error().message), command);
        return usage_error(address.error().message, command);
    }
    PhysicalReader physical = [&control](uint64_t at, std::span<uint8_t> out) {
        return control.read_guest_memory(at, out);
    };
    if (command == "xp")
        return format_memory_dump(*address, format, physical);
    if (control.vcpus().empty())
        return "No CPU available\r\n";
    auto registers = control.vcpu_registers(0);
    if (!registers)
        return fmt::format("{}\r\n", registers.error().message);
    return format_memory_dump(*address, format, [&](uint64_t at, std::span<uint8_t> out) {
        return read_virtual(*registers, physical, at, out);
    });
}

std::string run_sendkey(std::string_view arguments, MachineControl& control)
{
    auto [keys_text, hold] = split_word(arguments);
    if (keys_text.empty())
        return usage_error("sendkey: string expected", "sendkey");
    // hold_ms is taken and not used: the keys are queued in the keyboard's buffer at once, down
    // in order and up in reverse, which the guest reads as the held combination.
    (void)hold;
    auto keys = parse_key_combination(keys_text);
    if (!keys)
        return keys.error().message + "\r\n";
    if (auto sent = control.send_keys(*keys); !sent)
        return sent.error().message + "\r\n";
    return {};
}

struct Command {
    std::string_view names; // "cont|c"
    std::string_view parameters;
    std::string_view help;
};

constexpr std::array<Command, 10> k_commands { {
    { "cont|c", "", "resume emulation" },
    { "help|?", "[cmd]", "show the help" },
    { "info", "[subcommand]", "show various information about the system state" },
    { "quit|q", "", "quit the emulator" },
    { "sendkey", "keys [hold_ms]",
        "send keys to the VM (e.g. 'sendkey ctrl-alt-f1', default hold time=100 ms)" },
    { "stop|s", "", "stop emulation" },
    { "system_powerdown", "", "send system power down event" },
    { "system_reset", "", "reset the system" },
    { "x", "/fmt addr", "virtual memory dump starting at 'addr'" },
    { "xp", "/fmt addr", "physical memory dump starting at 'addr'" },
} };

bool has_name(const Command& command, std::string_view name)
{
    std::string_view names = command.names;
    while (!names.empty()) {
        size_t bar = names.find('|');
        if (names.substr(0, bar) == name)
            return true;
        if (bar == std::string_view::npos)
            break;
        names.remove_prefix(bar + 1);
    }
    return false;
}

std::string help_text(std::string_view only)
{
    if (only == "info")
        return hmp_info_help();
    std::string text;
    for (const auto& command : k_commands) {
        if (!only.empty() && !has_name(command, only))
            continue;
        text += fmt::format("{} {} -- {}\r\n", command.names, command.parameters, command.help);
    }
    if (text.empty())
        return fmt::format("unknown command: '{}'\r\n", only);
    return text;
}

} // namespace

std::string run_hmp_command(std::string_view command_line, MachineControl& control)
{
    auto [command, rest] = split_word(command_line);
    if (command.empty())
        return {};
    if (command == "info" || command == "i") {
        auto [what, arguments] = split_word(rest);
        return run_hmp_info(what, arguments, control);
    }
    if (command == "help" || command == "?" || command == "h")
        return help_text(split_word(rest).first);
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
    if (command == "x" || command == "xp")
        return run_memory_dump(command, rest, control);
    if (command == "sendkey")
        return run_sendkey(rest, control);
    return fmt::format("unknown command: '{}'\r\n", command);
}

} // namespace vireo
