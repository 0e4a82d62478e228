// The human monitor's line editing and session: echo, backspace, CR/LF endings, escape
// sequences, the line length bound, and the banner and prompt around each command.
#include <gtest/gtest.h>

#include "monitor/hmp_session.h"
#include "monitor/line_editor.h"
#include "monitor/qmp_commands.h"
#include "qmp_fake_machine.h"

namespace vireo {
namespace {

// The lines and echo of a whole input, fed as the session feeds it.
struct Fed {
    std::vector<std::string> lines;
    std::string echo;
};

Fed feed_all(LineEditor& editor, std::string_view bytes)
{
    Fed fed;
    while (!bytes.empty()) {
        auto out = editor.feed(bytes);
        bytes.remove_prefix(out.consumed);
        fed.echo += out.echo;
        if (out.line)
            fed.lines.push_back(*out.line);
    }
    return fed;
}

TEST(LineEditor, EchoesAndEndsLinesOnCrLfOrCrLf)
{
    LineEditor editor;
    auto first = editor.feed("info status\rstop");
    EXPECT_EQ(first.line, "info status");
    EXPECT_EQ(first.consumed, 12u); // stops after the line: "stop" is for the next call
    auto out = feed_all(editor, "stop\ncont\r\nq");
    EXPECT_EQ(out.lines, (std::vector<std::string> { "stop", "cont" }));
    EXPECT_EQ(out.echo, "stop\r\ncont\r\nq");
    // The LF of a CR LF split across reads ends no second line.
    EXPECT_EQ(feed_all(editor, "uit\r").lines, (std::vector<std::string> { "quit" }));
    EXPECT_TRUE(feed_all(editor, "\n").lines.empty());
    EXPECT_EQ(feed_all(editor, "\n").lines, (std::vector<std::string> { "" })); // a second LF: an empty line
}

TEST(LineEditor, BackspaceAndDeleteRubOut)
{
    LineEditor editor;
    auto out = feed_all(editor, "stoq\x7fp\bp\r");
    EXPECT_EQ(out.lines, (std::vector<std::string> { "stop" }));
    EXPECT_EQ(out.echo, "stoq\b \bp\b \bp\r\n");
    // Nothing to rub out: nothing echoed.
    EXPECT_EQ(feed_all(editor, "\x7f\x7f").echo, "");
}

TEST(LineEditor, SkipsEscapeSequencesAndControlBytes)
{
    LineEditor editor;
    auto out = feed_all(editor, std::string("in\x1b[Afo\x1bOP\x00\x01\x02 pci\r", 18));
    EXPECT_EQ(out.lines, (std::vector<std::string> { "info pci" }));
    // A sequence split across reads.
    (void)feed_all(editor, "x\x1b[1");
    EXPECT_EQ(feed_all(editor, ";5Dp\r").lines, (std::vector<std::string> { "xp" }));
}

TEST(LineEditor, CtrlUClearsTheLine)
{
    LineEditor editor;
    auto out = feed_all(editor, "abc\x15info\r");
    EXPECT_EQ(out.lines, (std::vector<std::string> { "info" }));
    EXPECT_EQ(out.echo, "abc\b \b\b \b\b \binfo\r\n");
}

TEST(LineEditor, LineNeverGrowsPastItsLimit)
{
    LineEditor editor;
    std::string flood(3 * LineEditor::k_max_line, 'a');
    auto out = feed_all(editor, flood);
    EXPECT_EQ(out.echo.size(), LineEditor::k_max_line); // the rest is neither kept nor echoed
    auto ended = feed_all(editor, "b\r");
    ASSERT_EQ(ended.lines.size(), 1u);
    EXPECT_EQ(ended.lines[0], std::string(LineEditor::k_max_line, 'a'));
}

TEST(HmpSession, BannerPromptAndCommandsThroughTheTable)
{
    FakeMachineControl machine;
    CommandTable table;
    register_qmp_commands(table, machine);
    HmpSession session(table);
    EXPECT_EQ(session.greeting(), "QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ");
    EXPECT_FALSE(session.wants_events());

    std::string out;
    EXPECT_EQ(session.feed("info status\r", out), MonitorSession::Status::Ok);
    EXPECT_EQ(out, "info status\r\nVM status: running\r\n(qemu) ");
    out.clear();
    EXPECT_EQ(session.feed("s\rinfo st", out), MonitorSession::Status::Ok);
    EXPECT_EQ(out, "s\r\n(qemu) info st");
    EXPECT_EQ(machine.state, RunState::Paused);
    out.clear();
    EXPECT_EQ(session.feed("atus\r\r", out), MonitorSession::Status::Ok);
    EXPECT_EQ(out, "atus\r\nVM status: paused\r\n(qemu) \r\n(qemu) ");
}

} // namespace
} // namespace vireo
