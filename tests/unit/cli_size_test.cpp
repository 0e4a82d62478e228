#include <gtest/gtest.h>

#include "cli/size.h"

using namespace vireo;

TEST(CliSize, SuffixesInEitherCase)
{
    EXPECT_EQ(parse_size("1024").value(), 1024u);
    EXPECT_EQ(parse_size("1024b").value(), 1024u);
    EXPECT_EQ(parse_size("1k").value(), 1024u);
    EXPECT_EQ(parse_size("1K").value(), 1024u);
    EXPECT_EQ(parse_size("2M").value(), 2u << 20);
    EXPECT_EQ(parse_size("3g").value(), 3ULL << 30);
    EXPECT_EQ(parse_size("1T").value(), 1ULL << 40);
    EXPECT_EQ(parse_size("1P").value(), 1ULL << 50);
    EXPECT_EQ(parse_size("15E").value(), 15ULL << 60);
}

TEST(CliSize, DefaultUnitAppliesWithoutSuffix)
{
    EXPECT_EQ(parse_size("512", 1 << 20).value(), 512ULL << 20);
    EXPECT_EQ(parse_size("512K", 1 << 20).value(), 512ULL << 10);
    EXPECT_EQ(parse_size("1.5", 1 << 20).value(), 3ULL << 19);
}

TEST(CliSize, FractionsAndHex)
{
    EXPECT_EQ(parse_size("1.5G").value(), 3ULL << 29);
    EXPECT_EQ(parse_size("0.5k").value(), 512u);
    EXPECT_EQ(parse_size("0.0001k").value(), 0u); // truncated to whole bytes
    EXPECT_EQ(parse_size("0x1000").value(), 0x1000u);
    EXPECT_EQ(parse_size("0x10M").value(), 16ULL << 20);
    EXPECT_EQ(parse_size("1.12345678901234567890123G").value(), 1206302541u);
}

TEST(CliSize, RejectsBadSyntax)
{
    for (auto bad : { "", "G", "12X", "1GB", "1MiB", "-1", "+1", " 1", "1 ", "1.", ".5G", "1.5", "1.5B", "0x",
                      "0x1.5M", "1..5G", "1,5G" })
        EXPECT_EQ(parse_size(bad).error().message, "invalid size") << bad;
}

TEST(CliSize, RejectsOverflow)
{
    EXPECT_EQ(parse_size("18446744073709551615").value(), UINT64_MAX);
    EXPECT_EQ(parse_size("18446744073709551616").error().message, "size too large");
    EXPECT_EQ(parse_size("16E").error().message, "size too large");
    EXPECT_EQ(parse_size("17179869184G").error().message, "size too large");
    EXPECT_EQ(parse_size("15.99999999999999999999E").value(), (15ULL << 60) + 1152921504606846974ULL);
    EXPECT_EQ(parse_size("99999999999999999999999999k").error().message, "size too large");
    EXPECT_EQ(parse_size("17592186044416", 1 << 20).error().message, "size too large");
}
