#pragma once
// Splits a QMP byte stream into its JSON texts (RFC 8259) without parsing them: a message may
// span several reads, and one read may hold several messages. It follows strings (with their
// escapes) and the nesting of {} and []; a text is complete when its outermost bracket closes.
// Anything else at the top level (a stray scalar, a lone '}') comes out as a text of its own,
// for the parser to refuse. A raw control character inside a string (invalid JSON) ends the
// text there, so a client that sent a broken string gets an error at its newline instead of
// the stream waiting forever for a closing quote.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vireo {

class JsonStreamReader {
public:
    static constexpr size_t k_default_limit = size_t { 1 } << 20; // bytes in one message
    static constexpr size_t k_max_depth = 1024;                   // nesting, as QEMU's parser

    struct Message {
        std::string text;  // the JSON text, to parse
        bool too_deep = false; // nested deeper than k_max_depth: refuse without parsing
    };
    enum class Status { Ok, TooLarge };

    explicit JsonStreamReader(size_t limit = k_default_limit)
        : m_limit(limit)
    {
    }

    // Appends every message that bytes complete to out. TooLarge: the message being read grew
    // past the limit; what was read of it is dropped and the stream cannot be trusted any more
    // (the caller drops the client).
    [[nodiscard]] Status feed(std::string_view bytes, std::vector<Message>& out);

    // Bytes held of an incomplete message.
    [[nodiscard]] size_t buffered() const { return m_text.size(); }

private:
    void finish(std::vector<Message>& out);

    size_t m_limit;
    std::string m_text;       // the message being read
    size_t m_depth = 0;       // open brackets
    bool m_in_string = false;
    bool m_escape = false;    // the previous string byte was a backslash
    bool m_in_scalar = false; // a top-level literal or number
    bool m_too_deep = false;
};

} // namespace vireo
