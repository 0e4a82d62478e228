// -msg timestamp=on: the prefix of vireo's own log lines.
#include <regex>

#include <gtest/gtest.h>

#include "base/log.h"

using namespace vireo;

TEST(Log, NoPrefixByDefault)
{
    EXPECT_EQ(log_line_prefix(), "");
}

TEST(Log, TimestampPrefixIsQemusIso8601Utc)
{
    set_log_timestamps(true);
    auto prefix = log_line_prefix();
    set_log_timestamps(false);
    EXPECT_TRUE(std::regex_match(prefix, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z )"))) << prefix;
    EXPECT_EQ(log_line_prefix(), "");
}
