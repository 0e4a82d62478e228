#pragma once
// Parsing a command line in option tests: the config it gives, or its one-line error.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/options.h"

namespace vireo::test {

inline Result<CommandLine> parse(std::vector<std::string> args)
{
    return parse_command_line(args);
}

// The configuration of a command line that must parse (a test failure otherwise).
inline VmConfig config_of(std::vector<std::string> args)
{
    auto result = parse(std::move(args));
    EXPECT_TRUE(result) << result.error().message;
    if (!result)
        return {};
    EXPECT_EQ(result->action, CommandLine::Action::Run);
    return result->config;
}

// The error message of a command line, or "<no error>".
inline std::string error_of(std::vector<std::string> args)
{
    auto result = parse(std::move(args));
    if (result)
        return "<no error>";
    EXPECT_EQ(result.error().code, 0);
    return result.error().message;
}

} // namespace vireo::test
