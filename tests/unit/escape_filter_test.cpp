#include <gtest/gtest.h>

#include "char/escape_filter.h"

using namespace vireo;

namespace {
std::vector<uint8_t> bytes(std::string_view text) { return { text.begin(), text.end() }; }
}

TEST(EscapeFilter, PassesOrdinaryBytes)
{
    EscapeFilter filter;
    auto out = filter.feed(bytes("ls\r"));
    EXPECT_EQ(out.to_guest, bytes("ls\r"));
    EXPECT_EQ(out.command, EscapeFilter::Command::None);
}

TEST(EscapeFilter, CtrlAXQuitsEvenAcrossReads)
{
    EscapeFilter filter;
    auto first = filter.feed(bytes("a\x01"));
    EXPECT_EQ(first.to_guest, bytes("a"));
    auto second = filter.feed(bytes("xrest"));
    EXPECT_EQ(second.command, EscapeFilter::Command::Quit);
    EXPECT_TRUE(second.to_guest.empty());
}

TEST(EscapeFilter, DoubleCtrlASendsOne)
{
    EscapeFilter filter;
    auto out = filter.feed(bytes("\x01\x01z"));
    EXPECT_EQ(out.to_guest, bytes("\x01z"));
}

TEST(EscapeFilter, CtrlAHAsksForHelp)
{
    EscapeFilter filter;
    EXPECT_EQ(filter.feed(bytes("\x01h")).command, EscapeFilter::Command::Help);
    EXPECT_NE(EscapeFilter::help_text().find("C-a x"), std::string::npos);
}

TEST(EscapeFilter, CtrlACSwitchesFocusAndLeavesTheRestForTheNextCall)
{
    EscapeFilter filter;
    auto input = bytes("ab\x01" "cinfo\r");
    auto out = filter.feed(input);
    EXPECT_EQ(out.to_guest, bytes("ab"));
    EXPECT_EQ(out.command, EscapeFilter::Command::SwitchFocus);
    EXPECT_EQ(out.consumed, 4u);
    auto rest = filter.feed(std::span(input).subspan(out.consumed));
    EXPECT_EQ(rest.to_guest, bytes("info\r"));
    EXPECT_EQ(rest.command, EscapeFilter::Command::None);
    EXPECT_NE(EscapeFilter::help_text().find("C-a c"), std::string::npos);
}
