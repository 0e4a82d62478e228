#include <chrono>

#include <gtest/gtest.h>

#include "devices/legacy/cmos_rtc.h"

using namespace vireo;
using namespace std::chrono;

namespace {

constexpr uint64_t k_gib = 1024ULL * 1024 * 1024;
constexpr uint64_t k_mib = 1024ULL * 1024;

struct Rtc {
    // Saturday 2024-03-09 15:04:05.5 UTC unless a test moves it.
    system_clock::time_point now = sys_days { 2024y / March / 9 } + 15h + 4min + 5s + 500ms;
    CmosRtc rtc;

    explicit Rtc(CmosConfig config = { 256 * k_mib, 0, 1 })
        : rtc(config, [this] { return now; })
    {
    }

    uint8_t in(uint8_t index)
    {
        uint8_t value = 0;
        rtc.write(0, std::span<const uint8_t>(&index, 1));
        rtc.read(1, std::span(&value, 1));
        return value;
    }
    void out(uint8_t index, uint8_t value)
    {
        rtc.write(0, std::span<const uint8_t>(&index, 1));
        rtc.write(1, std::span<const uint8_t>(&value, 1));
    }
};

} // namespace

TEST(CmosRtc, ReadsHostTimeInBcdByDefault)
{
    Rtc r;
    EXPECT_EQ(r.in(0x00), 0x05);
    EXPECT_EQ(r.in(0x02), 0x04);
    EXPECT_EQ(r.in(0x04), 0x15);
    EXPECT_EQ(r.in(0x06), 0x07); // Saturday; Sunday = 1
    EXPECT_EQ(r.in(0x07), 0x09);
    EXPECT_EQ(r.in(0x08), 0x03);
    EXPECT_EQ(r.in(0x09), 0x24);
    EXPECT_EQ(r.in(0x32), 0x20);
}

// -rtc base=localtime (or a date): the clock starts at an offset from the host's UTC clock.
TEST(CmosRtc, StartOffsetMovesTheClock)
{
    CmosConfig config { 256 * k_mib, 0, 1 };
    config.start_offset = hours { 2 } + minutes { 30 }; // UTC+02:30
    Rtc r(config);
    EXPECT_EQ(r.in(0x04), 0x17); // 15:04 UTC reads 17:34
    EXPECT_EQ(r.in(0x02), 0x34);
    config.start_offset = -hours { 16 };
    Rtc behind(config);
    EXPECT_EQ(behind.in(0x04), 0x23); // the day before, 23:04
    EXPECT_EQ(behind.in(0x07), 0x08);
}

TEST(CmosRtc, BinaryModeFromRegisterB)
{
    Rtc r;
    r.out(0x0b, 0x06); // DM binary, 24-hour
    EXPECT_EQ(r.in(0x0b), 0x06);
    EXPECT_EQ(r.in(0x04), 15);
    EXPECT_EQ(r.in(0x09), 24);
    EXPECT_EQ(r.in(0x32), 20);
}

TEST(CmosRtc, TwelveHourMode)
{
    Rtc r;
    r.out(0x0b, 0x00); // BCD, 12-hour
    EXPECT_EQ(r.in(0x04), 0x83); // 3 PM
    r.now = sys_days { 2024y / March / 9 } + 0h + 30min;
    EXPECT_EQ(r.in(0x04), 0x12); // midnight is 12 AM
    r.now = sys_days { 2024y / March / 9 } + 12h;
    EXPECT_EQ(r.in(0x04), 0x92); // noon is 12 PM
    r.out(0x0b, 0x04); // binary, 12-hour
    EXPECT_EQ(r.in(0x04), 0x80 | 12);
}

TEST(CmosRtc, IndexBitSevenIsNmiMaskNotAddress)
{
    Rtc r;
    EXPECT_EQ(r.in(0x80 | 0x09), 0x24);
    EXPECT_TRUE(r.rtc.nmi_masked());
    EXPECT_EQ(r.in(0x09), 0x24);
    EXPECT_FALSE(r.rtc.nmi_masked());
}

TEST(CmosRtc, StatusRegisters)
{
    Rtc r;
    EXPECT_EQ(r.in(0x0a), 0x26);
    EXPECT_EQ(r.in(0x0c), 0x00);
    EXPECT_EQ(r.in(0x0d), 0x80); // VRT; bit 6 clear as Linux's mc146818_get_time demands
}

TEST(CmosRtc, UpdateInProgressJustBeforeTheSecondTicks)
{
    Rtc r;
    r.now = sys_days { 2024y / March / 9 } + 15h + 4min + 5s + 999'900us;
    EXPECT_EQ(r.in(0x0a), 0xa6);
    EXPECT_EQ(r.in(0x00), 0x05); // the registers advance when UIP falls
    r.now += 200us;
    EXPECT_EQ(r.in(0x0a), 0x26);
    EXPECT_EQ(r.in(0x00), 0x06);
}

TEST(CmosRtc, SettingTheTimeKeepsAnOffsetFromTheHostClock)
{
    Rtc r;
    r.out(0x0b, 0x82); // SET, BCD, 24-hour
    r.out(0x09, 0x99);
    r.out(0x32, 0x19);
    r.out(0x08, 0x12);
    r.out(0x07, 0x31);
    r.out(0x04, 0x23);
    r.out(0x02, 0x59);
    r.out(0x00, 0x58);
    r.now += 10s; // frozen while SET
    EXPECT_EQ(r.in(0x00), 0x58);
    r.out(0x0b, 0x02);
    r.now += 3s;
    EXPECT_EQ(r.in(0x00), 0x01);
    EXPECT_EQ(r.in(0x02), 0x00);
    EXPECT_EQ(r.in(0x04), 0x00);
    EXPECT_EQ(r.in(0x07), 0x01);
    EXPECT_EQ(r.in(0x08), 0x01);
    EXPECT_EQ(r.in(0x09), 0x00);
    EXPECT_EQ(r.in(0x32), 0x20);
    EXPECT_EQ(r.in(0x06), 0x07); // 2000-01-01 was a Saturday
}

TEST(CmosRtc, InvalidDateIsIgnored)
{
    Rtc r;
    r.out(0x0b, 0x82);
    r.out(0x08, 0x13); // month 13
    r.out(0x0b, 0x02);
    EXPECT_EQ(r.in(0x08), 0x03);
}

TEST(CmosRtc, MemoryBytesFor256MiB)
{
    Rtc r({ 256 * k_mib, 0, 2 });
    EXPECT_EQ(r.in(0x10), 0x00);
    EXPECT_EQ(r.in(0x15), 0x80); // 640 KiB
    EXPECT_EQ(r.in(0x16), 0x02);
    EXPECT_EQ(r.in(0x17), 0xff); // 255 MiB in KiB, capped at 0xffff
    EXPECT_EQ(r.in(0x18), 0xff);
    EXPECT_EQ(r.in(0x30), 0xff);
    EXPECT_EQ(r.in(0x31), 0xff);
    EXPECT_EQ(r.in(0x34), 0x00); // (256 - 16) MiB / 64 KiB = 0x0f00
    EXPECT_EQ(r.in(0x35), 0x0f);
    EXPECT_EQ(r.in(0x5b), 0x00);
    EXPECT_EQ(r.in(0x5c), 0x00);
    EXPECT_EQ(r.in(0x5d), 0x00);
    EXPECT_EQ(r.in(0x5f), 0x01);
}

TEST(CmosRtc, MemoryBytesFor6GiB)
{
    Rtc r({ 3 * k_gib, 3 * k_gib, 4 });
    EXPECT_EQ(r.in(0x34), 0x00); // (3 GiB - 16 MiB) / 64 KiB = 0xbf00
    EXPECT_EQ(r.in(0x35), 0xbf);
    EXPECT_EQ(r.in(0x5b), 0x00); // 3 GiB / 64 KiB = 0x00c000
    EXPECT_EQ(r.in(0x5c), 0xc0);
    EXPECT_EQ(r.in(0x5d), 0x00);
    EXPECT_EQ(r.in(0x5f), 0x03);
}

TEST(CmosRtc, SmallRamDoesNotUnderflow)
{
    Rtc r({ 8 * k_mib, 0, 1 });
    EXPECT_EQ(r.in(0x17), 0x00); // 7 MiB = 7168 KiB = 0x1c00
    EXPECT_EQ(r.in(0x18), 0x1c);
    EXPECT_EQ(r.in(0x34), 0x00);
    EXPECT_EQ(r.in(0x35), 0x00);
}

TEST(CmosRtc, ChecksumCoversStandardArea)
{
    Rtc r;
    r.rtc.set_cmos_byte(0x2d, 0x10);
    unsigned sum = 0;
    for (uint8_t i = 0x10; i < 0x2e; ++i)
        sum += r.in(i);
    EXPECT_EQ(r.in(0x2e), (sum >> 8) & 0xff);
    EXPECT_EQ(r.in(0x2f), sum & 0xff);
}

TEST(CmosRtc, RamIsReadWriteAndReadOnlyRegistersStay)
{
    Rtc r;
    r.out(0x40, 0xab);
    EXPECT_EQ(r.in(0x40), 0xab);
    r.out(0x0d, 0x00);
    EXPECT_EQ(r.in(0x0d), 0x80);
    r.out(0x0a, 0xff);
    EXPECT_EQ(r.in(0x0a), 0x7f); // UIP is not writable (and 0.5 s into the second it is clear)
}
