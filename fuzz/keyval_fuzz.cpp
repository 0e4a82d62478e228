// libFuzzer target for the command-line parsers: KeyValues::parse, parse_size and
// parse_command_line. Input layout: the first byte picks the parser, the rest is the text;
// for the full parser the text is split into arguments at NUL bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/keyval.h"
#include "cli/options.h"
#include "cli/size.h"

using namespace vireo;

namespace {

void check_one_line(const Result<CommandLine>& result)
{
    if (!result && result.error().message.find('\n') != std::string::npos)
        __builtin_trap(); // every error must be one line
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 3) {
    case 0: {
        static constexpr std::string_view implied[] = { "", "type", "size", "cpus" };
        if (auto kv = KeyValues::parse(text, implied[(data[0] / 3) % 4])) {
            for (const auto& item : kv->items()) {
                if (kv->get_all(item.key).empty())
                    __builtin_trap();
            }
        }
        break;
    }
    case 1:
        (void)parse_size(text, (data[0] & 0x80) ? 1ULL << 20 : 1);
        break;
    default: {
        std::vector<std::string> args;
        size_t start = 0;
        for (size_t i = 0; i <= text.size(); ++i) {
            if (i == text.size() || text[i] == '\0') {
                args.emplace_back(text.substr(start, i - start));
                start = i + 1;
            }
        }
        check_one_line(parse_command_line(args));
        break;
    }
    }
    return 0;
}
