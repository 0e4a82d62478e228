#include "monitor/json_stream.h"

namespace vireo {

namespace {

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool ends_scalar(char c)
{
    return is_space(c) || c == '{' || c == '}' || c == '[' || c == ']' || c == '"' || c == ',' || c == ':';
}

} // namespace

void JsonStreamReader::finish(std::vector<Message>& out)
{
    out.push_back(Message { std::move(m_text), m_too_deep });
    m_text.clear();
    m_depth = 0;
    m_in_string = false;
    m_escape = false;
    m_in_scalar = false;
    m_too_deep = false;
}

JsonStreamReader::Status JsonStreamReader::feed(std::string_view bytes, std::vector<Message>& out)
{
    for (size_t i = 0; i < bytes.size(); ++i) {
        char c = bytes[i];
        if (m_in_string) {
            if (static_cast<unsigned char>(c) < 0x20) {
                finish(out); // invalid inside a string: hand over what there is, resynchronise
                continue;
            }
            m_text.push_back(c);
            if (m_escape)
                m_escape = false;
            else if (c == '\\')
                m_escape = true;
            else if (c == '"') {
                m_in_string = false;
                if (m_depth == 0)
                    finish(out); // a top-level string
            }
        } else if (m_in_scalar) {
            if (ends_scalar(c)) {
                finish(out);
                --i; // the delimiter starts what follows
                continue;
            }
            m_text.push_back(c);
        } else if (m_depth == 0) {
            if (is_space(c))
                continue;
            m_text.push_back(c);
            if (c == '{' || c == '[')
                m_depth = 1;
            else if (c == '"')
                m_in_string = true;
            else if (c == '}' || c == ']' || c == ',' || c == ':')
                finish(out);
            else
                m_in_scalar = true;
        } else {
            m_text.push_back(c);
            if (c == '"') {
                m_in_string = true;
            } else if (c == '{' || c == '[') {
                if (++m_depth > k_max_depth)
                    m_too_deep = true;
            } else if (c == '}' || c == ']') {
                if (--m_depth == 0)
                    finish(out);
            }
        }
        if (m_text.size() > m_limit) {
            m_text.clear();
            m_text.shrink_to_fit();
            return Status::TooLarge;
        }
    }
    return Status::Ok;
}

} // namespace vireo
