// A stand-in for libFuzzer's main() where libFuzzer cannot be used (g++, or clang-14 with
// libstdc++ 12's <expected>): runs LLVMFuzzerTestOneInput over the files given, every file of
// the directories given, or random inputs.
//   fuzz_NAME FILE|DIR...                      replay a corpus or a crash reproducer
//   fuzz_NAME --random N [--seed S] [--max-len L]   N random inputs (default seed 1, max 4096 bytes)
//   fuzz_NAME --random N DIR...                 the corpus, then N mutations of its files
// Random inputs are uniform bytes or a few bytes over a zero or 0xff background. Mutations
// overwrite bytes, fields (boundary values, big- and little-endian) or truncate, so that
// formats with a magic number (qcow2) get past it. A crash or sanitizer report is the failure.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool read_file(const std::filesystem::path& path, std::vector<uint8_t>& data)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "%s: cannot open\n", path.c_str());
        return false;
    }
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

void mutate(std::mt19937_64& rng, std::vector<uint8_t>& data)
{
    static constexpr uint64_t boundaries[] = { 0, 1, 0x7f, 0x80, 0xff, 0x100, 0x200, 0xffff, 0x10000, 0x7fffffff,
        0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff };
    unsigned edits = 1 + rng() % 8;
    for (unsigned e = 0; e < edits && !data.empty(); ++e) {
        size_t at = rng() % data.size();
        switch (rng() % 5) {
        case 0:
            data[at] = static_cast<uint8_t>(rng());
            break;
        case 1:
            data[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
            break;
        case 2:
        case 3: { // a 1/2/4/8-byte field set to a boundary value, in either byte order
            size_t width = size_t { 1 } << (rng() % 4);
            uint64_t value = boundaries[rng() % std::size(boundaries)] + (rng() % 3) - 1;
            bool big_endian = rng() % 2;
            for (size_t i = 0; i < width && at + i < data.size(); ++i) {
                size_t shift = 8 * (big_endian ? width - 1 - i : i);
                data[at + i] = static_cast<uint8_t>(value >> shift);
            }
            break;
        }
        default:
            data.resize(at);
            break;
        }
    }
}

std::vector<uint8_t> random_input(std::mt19937_64& rng, size_t max_len)
{
    size_t length = rng() % (max_len + 1);
    std::vector<uint8_t> data(length);
    switch (rng() % 3) {
    case 0: // sparse: a few random bytes over zeros or ones
        std::fill(data.begin(), data.end(), rng() % 2 ? 0x00 : 0xff);
        for (size_t i = 0; length > 0 && i < 1 + length / 16; ++i)
            data[rng() % length] = static_cast<uint8_t>(rng());
        break;
    default:
        for (auto& byte : data)
            byte = static_cast<uint8_t>(rng());
        break;
    }
    return data;
}

} // namespace

int main(int argc, char** argv)
{
    unsigned long long count = 0;
    unsigned long long seed = 1;
    size_t max_len = 4096;
    std::vector<std::filesystem::path> paths;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        bool has_value = i + 1 < argc;
        if (arg == "--random" && has_value)
            count = std::strtoull(argv[++i], nullptr, 0);
        else if (arg == "--seed" && has_value)
            seed = std::strtoull(argv[++i], nullptr, 0);
        else if (arg == "--max-len" && has_value)
            max_len = std::strtoull(argv[++i], nullptr, 0);
        else if (arg.starts_with("-")) {
            std::fprintf(stderr, "usage: %s [--random N] [--seed S] [--max-len L] [FILE|DIR]...\n", argv[0]);
            return 2;
        } else
            paths.emplace_back(arg);
    }

    int failures = 0;
    std::vector<std::filesystem::path> files;
    for (const auto& path : paths) {
        std::error_code error;
        if (!std::filesystem::is_directory(path, error)) {
            files.push_back(path);
            continue;
        }
        for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
            if (entry.is_regular_file())
                files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end()); // the same order everywhere, for reproducible runs
    std::vector<std::vector<uint8_t>> corpus;
    for (const auto& file : files) {
        std::vector<uint8_t> data;
        if (!read_file(file, data)) {
            ++failures;
            continue;
        }
        LLVMFuzzerTestOneInput(data.data(), data.size());
        corpus.push_back(std::move(data));
    }
    size_t inputs = corpus.size();
    std::mt19937_64 rng(seed);
    for (unsigned long long i = 0; i < count; ++i) {
        std::vector<uint8_t> data;
        if (!corpus.empty() && rng() % 8 != 0) {
            data = corpus[rng() % corpus.size()];
            mutate(rng, data);
        } else {
            data = random_input(rng, max_len);
        }
        LLVMFuzzerTestOneInput(data.data(), data.size());
        ++inputs;
    }
    std::printf("%zu inputs ran\n", inputs);
    return failures == 0 ? 0 : 1;
}
