// libFuzzer target for the CMOS RTC (Motorola MC146818A) behind ports 0x70/0x71: the input is a
// program of index and data accesses of any width, host clock moves (forwards, as a host's UTC
// clock runs, by up to decades, up to 2200), and board-side CMOS byte writes. Bugs: a crash or sanitizer
// report; while SET is clear, a time register the datasheet's ranges do not allow (seconds and
// minutes 0-59, hours 0-23 or 1-12 with the PM bit, weekday 1-7, day 1-31, month 1-12, year
// 0-99) or a BCD digit above 9 in BCD mode; register C other than 0 or D without VRT.
//
// Each step: one opcode byte, then its operands (missing bytes read as zero).
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "devices/legacy/cmos_rtc.h"
#include "device_fuzz_support.h"

using namespace vireo;

namespace {

constexpr uint8_t k_reg_b = 0x0b;
constexpr uint8_t k_b_set = 0x80;
constexpr uint8_t k_b_binary = 0x04;
constexpr uint8_t k_b_24h = 0x02;

uint8_t read_register(CmosRtc& rtc, uint8_t index)
{
    uint8_t value = 0;
    rtc.write(0, std::span<const uint8_t>(&index, 1));
    rtc.read(1, std::span(&value, 1));
    return value;
}

// The register's value as a number, or -1 for a BCD digit above 9.
int decode(uint8_t value, bool binary)
{
    if (binary)
        return value;
    if ((value >> 4) > 9 || (value & 0x0f) > 9)
        return -1;
    return (value >> 4) * 10 + (value & 0x0f);
}

void check_clock(CmosRtc& rtc)
{
    uint8_t b = read_register(rtc, k_reg_b);
    if (b & k_b_set)
        return; // the guest is setting the time: registers hold what it wrote
    bool binary = b & k_b_binary;
    struct Range {
        uint8_t index;
        int low;
        int high;
    };
    static constexpr Range ranges[] = { { 0x00, 0, 59 }, { 0x02, 0, 59 }, { 0x06, 1, 7 }, { 0x07, 1, 31 },
        { 0x08, 1, 12 }, { 0x09, 0, 99 } };
    for (const auto& range : ranges) {
        int value = decode(read_register(rtc, range.index), binary);
        if (value < range.low || value > range.high)
            __builtin_trap();
    }
    uint8_t hours = read_register(rtc, 0x04);
    if (b & k_b_24h) {
        int value = decode(hours, binary);
        if (value < 0 || value > 23)
            __builtin_trap();
    } else {
        int value = decode(hours & 0x7f, binary);
        if (value < 1 || value > 12)
            __builtin_trap();
    }
    if (read_register(rtc, 0x0c) != 0 || !(read_register(rtc, 0x0d) & 0x80))
        __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz::Reader in(data, size);
    // 2026-01-01 plus what the input says: a fixed start keeps runs reproducible
    auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'767'225'600));
    CmosConfig config { .low_ram_bytes = 64ULL << 20, .high_ram_bytes = in.byte() ? 1ULL << 32 : 0, .cpu_count = 2 };
    CmosRtc rtc(config, [&] { return now; });

    for (size_t step = 0; step < 256 && !in.done(); ++step) {
        uint8_t op = in.byte();
        switch (op % 5) {
        case 0:
        case 1: { // a write to the index or data port (a 2-byte access covers both)
            uint64_t offset = in.byte() % CmosRtc::k_port_count;
            std::array<uint8_t, 2> bytes { in.byte(), in.byte() };
            size_t width = std::min<size_t>(op & 0x80 ? 2 : 1, CmosRtc::k_port_count - offset);
            rtc.write(offset, std::span<const uint8_t>(bytes).first(width));
            break;
        }
        case 2: { // a read
            uint64_t offset = in.byte() % CmosRtc::k_port_count;
            std::array<uint8_t, 2> bytes {};
            rtc.read(offset, std::span(bytes).first(std::min<size_t>(op & 0x80 ? 2 : 1, CmosRtc::k_port_count - offset)));
            break;
        }
        case 3: { // the host clock runs on, by nanoseconds to decades, until 2200 (a host's clock range)
            auto later = now + std::chrono::nanoseconds(in.u32()) * (int64_t { 1 } << (in.byte() % 29));
            if (later < std::chrono::system_clock::time_point(std::chrono::seconds(7'258'118'400)))
                now = later;
            break;
        }
        default:
            rtc.set_cmos_byte(in.byte(), in.byte());
            (void)rtc.nmi_masked();
            break;
        }
        if (op & 0x40)
            check_clock(rtc);
    }
    check_clock(rtc);
    return 0;
}
