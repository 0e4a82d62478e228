#include <gtest/gtest.h>

#include "cli/keyval.h"

using namespace vireo;

TEST(CliKeyval, ParsesImpliedKeyAndPairsInOrder)
{
    auto kv = KeyValues::parse("user,id=n0,hostfwd=tcp::2222-:22", "type").value();
    ASSERT_EQ(kv.items().size(), 3u);
    EXPECT_EQ(kv.items()[0].key, "type");
    EXPECT_EQ(kv.items()[0].value, "user");
    EXPECT_EQ(kv.get("id"), "n0");
    EXPECT_EQ(kv.get("hostfwd"), "tcp::2222-:22");
    EXPECT_FALSE(kv.get("net"));
}

TEST(CliKeyval, ImpliedKeyOnlyAppliesToABareFirstItem)
{
    auto kv = KeyValues::parse("size=1G", "size").value();
    EXPECT_EQ(kv.get("size"), "1G");
    ASSERT_EQ(kv.items().size(), 1u);
}

TEST(CliKeyval, DoubledCommaIsALiteralComma)
{
    auto kv = KeyValues::parse("file=a,,b.img,if=virtio", {}).value();
    EXPECT_EQ(kv.get("file"), "a,b.img");
    EXPECT_EQ(kv.get("if"), "virtio");
    auto implied = KeyValues::parse("x,,y,k=v", "first").value();
    EXPECT_EQ(implied.get("first"), "x,y");
    EXPECT_EQ(implied.get("k"), "v");
    auto trailing = KeyValues::parse("k=v,,", {}).value();
    EXPECT_EQ(trailing.get("k"), "v,");
}

TEST(CliKeyval, ValueMayContainEqualsSigns)
{
    auto kv = KeyValues::parse("append=a=b c=d", {}).value();
    EXPECT_EQ(kv.get("append"), "a=b c=d");
}

TEST(CliKeyval, BareItemsAreFlags)
{
    auto kv = KeyValues::parse("socket,id=c0,server,nowait,nodelay", "backend").value();
    EXPECT_EQ(kv.get("server"), "on");
    EXPECT_EQ(kv.get("wait"), "off");
    EXPECT_EQ(kv.get("delay"), "off");
    // Without an implied key the first bare item is a flag too.
    EXPECT_EQ(KeyValues::parse("readonly", {}).value().get("readonly"), "on");
}

TEST(CliKeyval, DuplicateKeysLastWinsAndAllAreKept)
{
    auto kv = KeyValues::parse("user,hostfwd=a,hostfwd=b,id=x,id=y", "type").value();
    EXPECT_EQ(kv.get("id"), "y");
    auto all = kv.get_all("hostfwd");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0], "a");
    EXPECT_EQ(all[1], "b");
}

TEST(CliKeyval, EmptyTextAndTrailingCommaAndEmptyValues)
{
    EXPECT_TRUE(KeyValues::parse("", "type").value().empty());
    auto kv = KeyValues::parse("a=1,", {}).value();
    EXPECT_EQ(kv.items().size(), 1u);
    EXPECT_EQ(KeyValues::parse("script=,a=1", {}).value().get("script"), "");
    EXPECT_EQ(KeyValues::parse(",id=x", "type").value().get("type"), "");
}

TEST(CliKeyval, RejectsBadKeys)
{
    EXPECT_EQ(KeyValues::parse("=x", {}).error().message, "invalid parameter name ''");
    EXPECT_EQ(KeyValues::parse("a=1,,,b=2", {}).value().get("a"), "1,");
    EXPECT_EQ(KeyValues::parse("a=1,b c=2", {}).error().message, "invalid parameter name 'b c'");
    EXPECT_EQ(KeyValues::parse("a=1,,,=2", {}).error().message, "invalid parameter name ''");
    EXPECT_EQ(KeyValues::parse("a\nb=1", {}).error().message, "invalid parameter name 'a?b'");
    EXPECT_FALSE(KeyValues::parse(",", {}));
}

TEST(CliKeyval, FirstUnknownKey)
{
    auto kv = KeyValues::parse("file=x,bogus=1", {}).value();
    std::array<std::string_view, 1> allowed { "file" };
    EXPECT_EQ(kv.first_unknown_key(allowed), "bogus");
}

TEST(CliKeyval, BoolsAndUints)
{
    for (auto yes : { "on", "yes", "true", "y" })
        EXPECT_EQ(parse_bool(yes), true);
    for (auto no : { "off", "no", "false", "n" })
        EXPECT_EQ(parse_bool(no), false);
    EXPECT_FALSE(parse_bool("1"));
    EXPECT_FALSE(parse_bool(""));
    EXPECT_EQ(parse_uint("42", 100), 42u);
    EXPECT_FALSE(parse_uint("101", 100));
    EXPECT_FALSE(parse_uint("-1", 100));
    EXPECT_FALSE(parse_uint("+1", 100));
    EXPECT_FALSE(parse_uint("1x", 100));
    EXPECT_FALSE(parse_uint("", 100));
    EXPECT_FALSE(parse_uint("99999999999999999999999", UINT64_MAX));
}
