// The QMP stream reader: messages split across reads, several in one read, oversized and
// malformed input.
#include <gtest/gtest.h>

#include "monitor/json_stream.h"

namespace vireo {
namespace {

std::vector<std::string> texts(const std::vector<JsonStreamReader::Message>& messages)
{
    std::vector<std::string> out;
    for (const auto& message : messages)
        out.push_back(message.text);
    return out;
}

TEST(JsonStream, OneMessagePerRead)
{
    JsonStreamReader reader;
    std::vector<JsonStreamReader::Message> out;
    ASSERT_EQ(reader.feed("{\"execute\": \"query-status\"}\r\n", out), JsonStreamReader::Status::Ok);
    EXPECT_EQ(texts(out), std::vector<std::string> { "{\"execute\": \"query-status\"}" });
    EXPECT_EQ(reader.buffered(), 0u);
}

TEST(JsonStream, MessageSplitAcrossReadsByteByByte)
{
    JsonStreamReader reader;
    std::vector<JsonStreamReader::Message> out;
    std::string message = R"({"execute": "x", "arguments": {"a": [1, {"b": "}]\"{"}]}})";
    for (char c : message) {
        EXPECT_TRUE(out.empty());
        ASSERT_EQ(reader.feed(std::string_view(&c, 1), out), JsonStreamReader::Status::Ok);
    }
    EXPECT_EQ(texts(out), std::vector<std::string> { message });
}

TEST(JsonStream, SeveralMessagesInOneRead)
{
    JsonStreamReader reader;
    std::vector<JsonStreamReader::Message> out;
    ASSERT_EQ(reader.feed("{\"a\":1}{\"b\":2}\n  [3]\n{\"c\":", out), JsonStreamReader::Status::Ok);
    EXPECT_EQ(texts(out), (std::vector<std::string> { "{\"a\":1}", "{\"b\":2}", "[3]" }));
    out.clear();
    ASSERT_EQ(reader.feed("3}", out), JsonStreamReader::Status::Ok);
    EXPECT_EQ(texts(out), std::vector<std::string> { "{\"c\":3}" });
}

TEST(JsonStream, StrayScalarsAndClosersComeOutAlone)
{
    JsonStreamReader reader;
    std::vector<JsonStreamReader::Message> out;
    ASSERT_EQ(reader.feed("foo 12}\"str\"{}", out), JsonStreamReader::Status::Ok);
    EXPECT_EQ(texts(out), (std::vector<std::string> { "foo", "12", "}", "\"str\"", "{}" }));
}

TEST(JsonStream, ControlCharacterInAStringEndsTheMessage)
{
    JsonStreamReader reader;
    std::vector<JsonStreamReader::Message> out;
    ASSERT_EQ(reader.feed("{\"execute\": \"qu\n{\"execute\": \"quit\"}", out), JsonStreamReader::Status::Ok);
    EXPECT_EQ(texts(out), (std::vector<std::string> { "{\"execute\": \"qu", "{\"execute\": \"quit\"}" }));
}

TEST(JsonStream, OversizedMessageIsRefused)
{
    JsonStreamReader reader(64);
    std::vector<JsonStreamReader::Message> out;
    ASSERT_EQ(reader.feed("{\"a\": \"" + std::string(40, 'x'), out), JsonStreamReader::Status::Ok);
    EXPECT_EQ(reader.feed(std::string(40, 'x'), out), JsonStreamReader::Status::TooLarge);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(reader.buffered(), 0u);
}

TEST(JsonStream, ManySmallMessagesNeverCountAsOneLarge)
{
    JsonStreamReader reader(64);
    std::vector<JsonStreamReader::Message> out;
    std::string many;
    for (int i = 0; i < 100; ++i)
        many += "{\"execute\":\"x\"}\r\n";
    ASSERT_EQ(reader.feed(many, out), JsonStreamReader::Status::Ok);
    EXPECT_EQ(out.size(), 100u);
}

TEST(JsonStream, DeepNestingIsFlagged)
{
    JsonStreamReader reader;
    std::vector<JsonStreamReader::Message> out;
    std::string deep = std::string(2000, '[') + std::string(2000, ']');
    ASSERT_EQ(reader.feed(deep, out), JsonStreamReader::Status::Ok);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].too_deep);
}

} // namespace
} // namespace vireo
